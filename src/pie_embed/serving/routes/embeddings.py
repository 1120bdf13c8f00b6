"""``POST /v1/embeddings``: OpenAI-compatible embeddings."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from starlette.responses import Response

import pie_embed.serving.schemas as schemas
from pie_embed.embedding.normalize import unit_rows
from pie_embed.serving.dependencies import BODY_ERRORS, State, check_model, embed_texts, read_inputs, usage
from pie_embed.serving.responses import ApiError, json_response

router = APIRouter()


@router.post("/v1/embeddings", response_model=schemas.EmbeddingResponse, responses=BODY_ERRORS)
async def embeddings(body: schemas.EmbeddingRequest, http: Request, state: State) -> Response:
    """OpenAI-compatible embeddings: point the `openai` client's `base_url` at this server."""
    check_model(state, body.model)
    dimension = state.embedder.dimension
    if body.dimensions is not None and body.dimensions > dimension:
        raise ApiError(
            422, f"dimensions={body.dimensions} is more than the model's {dimension}", param="dimensions"
        )
    texts = read_inputs(state, body.input, "/v1/embeddings")
    encoded = await embed_texts(state, http, state.embed_batcher, texts, "/v1/embeddings")
    vectors = encoded.vectors
    if body.dimensions is not None and body.dimensions < dimension:
        vectors = unit_rows(vectors[:, : body.dimensions])
    if body.encoding_format == "base64":
        rows: Any = [base64.b64encode(np.asarray(v, "<f4").tobytes()).decode("ascii") for v in vectors]
    else:
        rows = np.ascontiguousarray(vectors, np.float32)
    data = [{"object": "embedding", "embedding": rows[i], "index": i} for i in range(len(texts))]
    return json_response({"object": "list", "data": data, "model": body.model, "usage": usage(encoded)})
