"""What the tools need from an embedder: texts in, vectors out, and a description of the settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from pie_embed.embedding.config import EmbedderConfig
from pie_embed.errors import ConfigError


@runtime_checkable
class TextEncoder(Protocol):
    """Implemented by :class:`InstructionEmbedder` (this process) and ``RayEncoder`` (a Ray actor pool)."""

    def encode(
        self,
        sentences: str | Sequence[str],
        batch_size: int | None = None,
        show_progress_bar: bool | None = None,
        normalize_embeddings: bool | None = None,
    ) -> np.ndarray:
        """float32 vectors [len(sentences), dimension] in input order; one string gives one [dimension]
        vector (sentence-transformers' ``encode``, whose models therefore fit too)."""
        ...

    def describe(self) -> dict[str, object]:
        """The settings that made the vectors (model, prompt, pooling, ...)."""
        ...


ENGINES = ("local", "ray")


def check_engine(engine: str) -> str:
    """``engine`` if it is one of :data:`ENGINES`, else a one-line error."""
    if engine not in ENGINES:
        raise ConfigError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    return engine


def make_encoder(
    config: EmbedderConfig, engine: str = "local", *, workers: int = 1, address: str | None = None
) -> TextEncoder:
    """The :class:`InstructionEmbedder` ``config`` describes for the local engine, or a ``RayEncoder``
    whose ``workers`` actors each build one (on ``address``'s cluster); a static model (``pie-static``)
    is a ``StaticEncoder`` whatever the engine."""
    from pie_embed.embedding.static import StaticEncoder, is_static_model

    if is_static_model(config.model):  # a table lookup: no engine or worker pool is worth starting
        return StaticEncoder(config.model, normalize=config.normalize)
    if check_engine(engine) == "ray":
        from pie_embed.embedding.ray_engine import RayEncoder

        return RayEncoder(config, workers=workers, address=address)
    from pie_embed.embedding.embedder import InstructionEmbedder

    return InstructionEmbedder.from_config(config)


def encoder_fingerprint(name: str) -> str | None:
    """The content fingerprint of the weights ``name`` loads (a static model or a transformer), without
    loading them; None for a Hugging Face id (known only once loaded)."""
    from pie_embed.embedding.models import model_fingerprint
    from pie_embed.embedding.static import is_static_model, static_fingerprint

    return static_fingerprint(name) if is_static_model(name) else model_fingerprint(name)


def default_encoder() -> TextEncoder:
    """The default model's :class:`~pie_embed.embedding.embedder.InstructionEmbedder`, imported (with
    torch) only when called, so that tools given a static model never load torch."""
    from pie_embed.embedding.embedder import InstructionEmbedder

    return InstructionEmbedder()
