"""Deprecated: :func:`embed_stream` is :func:`~pie_embed.embedding.job.embed_to` with a folder output.

This module goes in the next release.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from pie_embed.embedding.job import DEFAULT_SHARD_ROWS, EmbedResult, embed_to
from pie_embed.embedding.protocol import TextEncoder

__all__ = ["DEFAULT_SHARD_ROWS", "embed_stream"]


def embed_stream(
    embedder: TextEncoder, input_path: str | Path, output: str | Path, **options: Any
) -> EmbedResult:
    """Deprecated: ``embed_to(InstructionSource(input_path, ...), output, embedder, folder=True)``."""
    warnings.warn(
        "embed_stream() is deprecated: use embed_to(..., folder=True)", DeprecationWarning, stacklevel=2
    )
    return embed_to(input_path, output, embedder, folder=True, **options)
