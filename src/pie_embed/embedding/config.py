"""The settings an embedder is built from, as one frozen value.

``EmbedderConfig`` is what ``InstructionEmbedder`` keeps, what each Ray actor builds its own embedder
from, what the server loads, and what the CLI takes its defaults from, so none of them can drift.
Importable without torch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from pie_embed.errors import ConfigError

DEFAULT_BATCH_SIZE = 64  # texts per forward pass; see docs/scale.md for why not sentence-transformers' 32


@dataclass(frozen=True)
class EmbedderConfig:
    """Everything that decides how texts become vectors (and how fast).

    ``prompt`` and ``pooling`` None mean the model's own (recorded by ``pie train``, else none / the
    family's default); ``precision`` "auto" means bf16 where the CPU runs it natively, else fp32;
    ``torch_compile`` None means compile only for large calls.
    """

    model: str = "default"
    prompt: str | None = None
    pooling: str | None = None
    normalize: bool = True
    batch_size: int = DEFAULT_BATCH_SIZE
    instruction_tokens_only: bool = False
    max_length: int | None = None
    device: str = "cpu"
    precision: str = "auto"
    torch_compile: bool | None = None
    cache_dir: str | None = None
    trust_remote_code: bool = False

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {self.batch_size}")
        if self.max_length is not None and self.max_length < 1:
            raise ConfigError(f"max_length must be at least 1, got {self.max_length}")

    def replace(self, **changes: Any) -> EmbedderConfig:
        """A copy with ``changes`` applied (and checked)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The settings as keyword arguments of ``InstructionEmbedder``."""
        return asdict(self)


DEFAULTS = EmbedderConfig()
