"""Deprecated: :func:`embed_file` is :func:`~pie_embed.embedding.job.embed_to` with a file output.

This module goes in the next release; :func:`embedding_manifest` lives in :mod:`pie_embed.embedding.job`.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from pie_embed.embedding.job import EmbedResult, embed_to, embedding_manifest
from pie_embed.embedding.protocol import TextEncoder

__all__ = ["embed_file", "embedding_manifest"]


def embed_file(
    embedder: TextEncoder,
    input_path: str | Path,
    output_path: str | Path,
    *,
    store_texts: bool = True,
    **reader_options: Any,
) -> EmbedResult:
    """Deprecated: ``embed_to(InstructionSource(input_path, ...), output_path, embedder)``."""
    warnings.warn("embed_file() is deprecated: use embed_to()", DeprecationWarning, stacklevel=2)
    return embed_to(input_path, output_path, embedder, store_texts=store_texts, **reader_options)
