"""Settings of `pie serve`: what to load, where to listen, and the limits that keep the server safe."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from pie_embed.embedding.config import DEFAULTS, EmbedderConfig
from pie_embed.errors import ConfigError

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


@dataclass
class ServerConfig:
    """Everything `pie serve` takes; the defaults bind loopback and cap every request."""

    model: str = DEFAULTS.model
    prompt: str | None = DEFAULTS.prompt
    pooling: str | None = DEFAULTS.pooling
    precision: str = DEFAULTS.precision  # bf16 where the CPU has it natively (see embedding/precision.py)
    batch_size: int = DEFAULTS.batch_size  # texts per forward pass inside one model call
    index: Path | None = None  # a `pie index build` folder for /v1/retrieve
    bank: list[Path] | None = None  # labeled files for /v1/identify; None: the shipped task bank
    identify: bool = True
    labeler: bool = True
    served_model_names: list[str] = field(default_factory=list)  # extra names /v1/embeddings accepts
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = None
    max_inputs: int = 2048  # inputs per request (OpenAI's limit)
    max_chars: int = 32_768  # characters per input
    max_body_bytes: int = 8 * 1024 * 1024
    max_batch: int = 64  # texts gathered into one model call
    batch_wait_ms: float = 2.0  # how long the first request of a batch waits for company
    max_queue: int = 8192  # texts waiting for the model before requests get 503
    graceful_timeout: float = 30.0  # seconds in-flight requests get to finish on shutdown
    log_level: str = "info"
    access_log: bool = True

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first setting that cannot work."""
        positive = {
            "batch_size": self.batch_size,
            "max_inputs": self.max_inputs,
            "max_chars": self.max_chars,
            "max_body_bytes": self.max_body_bytes,
            "max_batch": self.max_batch,
            "max_queue": self.max_queue,
        }
        for name, value in positive.items():
            if value < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
        if self.batch_wait_ms < 0 or self.graceful_timeout < 0:
            raise ConfigError("--batch-wait-ms and --graceful-timeout cannot be negative")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"--port must be between 0 and 65535, got {self.port}")
        if self.max_queue < self.max_inputs:
            raise ConfigError(
                f"--max-queue ({self.max_queue}) must be at least --max-inputs ({self.max_inputs}), "
                "or a full-size request could never be queued"
            )
        if self.api_key is not None and not (
            self.api_key.isascii()
            and self.api_key.isprintable()
            and self.api_key.strip() == self.api_key
            and self.api_key
        ):
            raise ConfigError("--api-key must be non-empty printable ASCII without spaces at either end")
        if self.log_level not in LOG_LEVELS:
            raise ConfigError(f"--log-level must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}")
        if self.index is not None and not Path(self.index).is_dir():
            raise ConfigError(f"{self.index}: no such index folder (build one with pie index build)")
        for path in self.bank or []:
            if not Path(path).is_file():
                raise ConfigError(f"{path}: no such task bank file")

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
