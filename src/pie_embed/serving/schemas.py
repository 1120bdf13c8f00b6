"""Request and response bodies. /v1/embeddings follows OpenAI's embeddings API field for field."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Inputs = str | list[str]
INPUT_HELP = "One instruction, or a list of them."


class EmbeddingRequest(BaseModel):
    """OpenAI's ``POST /v1/embeddings`` body. Token-id inputs are not accepted (different tokenizer)."""

    model_config = ConfigDict(extra="ignore")
    input: Inputs = Field(description=INPUT_HELP)
    model: str = Field(description="The served model's name (see GET /v1/models).")
    encoding_format: Literal["float", "base64"] = Field(
        "float", description="float: a list of numbers; base64: little-endian float32 bytes."
    )
    dimensions: int | None = Field(
        None,
        ge=1,
        description="Keep the first N dimensions and re-normalise (OpenAI's semantics). Models not "
        "trained for it (Matryoshka) lose quality; see docs/serving.md.",
    )
    user: str | None = None


class Embedding(BaseModel):
    object: Literal["embedding"] = "embedding"
    embedding: list[float] | str
    index: int


class Usage(BaseModel):
    prompt_tokens: int
    total_tokens: int


class EmbeddingResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[Embedding]
    model: str
    usage: Usage


class IdentifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input: Inputs = Field(description=INPUT_HELP)
    top: int = Field(5, ge=1, le=100, description="How many nearest known tasks to return.")
    model: str | None = None


class NearTask(BaseModel):
    task: str
    similarity: float
    examples: int = Field(description="Instructions of this task in the bank.")


class Identified(BaseModel):
    index: int
    text: str
    label: str | None = Field(description="`pie label`'s verb|noun task label (null without the labeler).")
    rule: str | None
    reason: str | None
    nearest: list[NearTask]


class IdentifyResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[Identified]
    model: str
    usage: Usage


class RetrieveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input: Inputs = Field(description="Query instruction(s).")
    k: int = Field(4, ge=1, le=100, description="Demonstrations per query.")
    prompt: bool = Field(False, description="Also return an Alpaca-style few-shot prompt per query.")
    model: str | None = None


class Demonstration(BaseModel):
    rank: int
    pool_row: int
    similarity: float
    text: str
    label: str | None
    row: dict[str, Any] = Field(description="The pool row with all its fields.")


class Retrieved(BaseModel):
    index: int
    query: str
    demonstrations: list[Demonstration]
    prompt: str | None = None


class RetrieveResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[Retrieved]
    model: str
    usage: Usage


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class Health(BaseModel):
    status: Literal["ok"]
    model: str
    dimension: int
    queue_depth: int = Field(description="Texts waiting for a model call.")
    index_rows: int | None = Field(description="Rows of the retrieval index (null: none loaded).")
    identify_tasks: int | None = Field(description="Known tasks for /v1/identify (null: disabled).")
    labeler: bool


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    """OpenAI's error body, so its client raises the matching exception."""

    error: ErrorDetail
