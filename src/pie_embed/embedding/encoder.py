"""Encoders by name: :func:`make_encoder` builds the one a configuration describes, on this process or on
Ray. The protocol every encoder meets is :class:`~pie_embed.embedding.protocol.TextEncoder`."""

from __future__ import annotations

from pie_embed.embedding.config import EmbedderConfig
from pie_embed.embedding.protocol import TextEncoder
from pie_embed.errors import ConfigError

__all__ = ["ENGINES", "TextEncoder", "check_engine", "default_encoder", "encoder_fingerprint", "make_encoder"]


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
    is a ``StaticEncoder``, in this process only."""
    from pie_embed.embedding.static import StaticEncoder, is_static_model

    check_engine(engine)
    if is_static_model(config.model):  # a table lookup: no engine or worker pool is worth starting
        if engine == "ray":
            raise ConfigError(
                f"{config.model} is a static model: it embeds faster than Ray starts its workers; "
                "leave out --engine ray"
            )
        return StaticEncoder(config.model, normalize=config.normalize)
    if engine == "ray":
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
