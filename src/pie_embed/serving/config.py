"""Settings of `pie serve`: what to load, where to listen, and the limits that keep the server safe."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pie_embed.embedding.config import DEFAULTS, EmbedderConfig
from pie_embed.errors import ConfigError

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


class ServerConfig(BaseModel):
    """Everything `pie serve` takes; the defaults bind loopback and cap every request. A setting that
    cannot work is a :class:`ConfigError` naming its option, raised when the config is made."""

    model_config = ConfigDict(validate_assignment=True, extra="forbid")

    model: str = DEFAULTS.model
    prompt: str | None = DEFAULTS.prompt
    pooling: str | None = DEFAULTS.pooling
    precision: str = DEFAULTS.precision  # bf16 where the CPU has it natively (see embedding/precision.py)
    batch_size: int = Field(DEFAULTS.batch_size, ge=1)  # texts per forward pass inside one model call
    index: Path | None = None  # a `pie index build` folder for /v1/retrieve
    bank: list[Path] | None = None  # labeled files for /v1/identify; None: the shipped task bank
    identify: bool = True
    labeler: bool = True
    served_model_names: list[str] = Field(default_factory=list)  # extra names /v1/embeddings accepts
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    api_key: str | None = None
    max_inputs: int = Field(2048, ge=1)  # inputs per request (OpenAI's limit)
    max_chars: int = Field(32_768, ge=1)  # characters per input
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1)
    max_batch: int = Field(64, ge=1)  # texts gathered into one model call
    batch_wait_ms: float = Field(2.0, ge=0)  # how long the first request of a batch waits for company
    max_queue: int = Field(8192, ge=1)  # texts waiting for the model before requests get 503
    graceful_timeout: float = Field(30.0, ge=0)  # seconds in-flight requests get to finish on shutdown
    log_level: Literal["critical", "error", "warning", "info", "debug", "trace"] = "info"
    access_log: bool = True

    def __init__(self, **settings: Any) -> None:
        try:
            super().__init__(**settings)
        except ValidationError as error:
            raise ConfigError(_first_problem(error)) from None

    @field_validator("api_key")
    @classmethod
    def _printable_key(cls, key: str | None) -> str | None:
        if key is not None and not (key.isascii() and key.isprintable() and key.strip() == key and key):
            raise ValueError("must be non-empty printable ASCII without spaces at either end")
        return key

    @field_validator("index")
    @classmethod
    def _index_exists(cls, index: Path | None) -> Path | None:
        if index is not None and not index.is_dir():
            raise ValueError(f"{index}: no such index folder (build one with pie index build)")
        return index

    @field_validator("bank")
    @classmethod
    def _bank_exists(cls, bank: list[Path] | None) -> list[Path] | None:
        for path in bank or []:
            if not path.is_file():
                raise ValueError(f"{path}: no such task bank file")
        return bank

    @model_validator(mode="after")
    def _queue_holds_a_request(self) -> ServerConfig:
        if self.max_queue < self.max_inputs:
            raise ValueError(
                f"--max-queue ({self.max_queue}) must be at least --max-inputs ({self.max_inputs}), "
                "or a full-size request could never be queued"
            )
        return self

    @property
    def embedder(self) -> EmbedderConfig:
        """The settings the served embedder is built from."""
        return DEFAULTS.replace(
            model=self.model,
            prompt=self.prompt,
            pooling=self.pooling,
            precision=self.precision,
            batch_size=self.batch_size,
        )

    @property
    def loopback(self) -> bool:
        """Whether the server is reachable from this machine only."""
        if self.host in LOOPBACK_HOSTS:
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def _first_problem(error: ValidationError) -> str:
    """The first problem of a settings error as one line naming its option (``--max-batch: ...``)."""
    first = error.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    location = [str(part) for part in first.get("loc", ()) if isinstance(part, str)]
    if not location or message.startswith("--"):
        return message
    return f"--{location[0].replace('_', '-')}: {message}"
