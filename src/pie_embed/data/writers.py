"""Deprecated module: its parts moved by concern (manifests, checksums, embeddings files, rows).

Import from :mod:`pie_embed.data.manifest`, :mod:`pie_embed.data.checksums`,
:mod:`pie_embed.data.embeddings`, :mod:`pie_embed.data.records` or :mod:`pie_embed.version` instead; this
module goes in the next release.
"""

from __future__ import annotations

import warnings

from pie_embed.data.checksums import RunningChecksums, array_sha256, texts_sha256
from pie_embed.data.embeddings import (
    EMBEDDING_SUFFIXES,
    MANIFEST_KEY,
    embeddings_manifest,
    embeddings_output,
    read_embeddings,
    write_embeddings,
)
from pie_embed.data.manifest import EmbeddingManifest, manifest_path, read_json_object, read_manifest
from pie_embed.data.records import RECORD_SUFFIXES, write_parquet_table, write_records
from pie_embed.version import pie_embed_version

__all__ = [
    "EMBEDDING_SUFFIXES",
    "MANIFEST_KEY",
    "RECORD_SUFFIXES",
    "EmbeddingManifest",
    "RunningChecksums",
    "array_sha256",
    "embeddings_manifest",
    "embeddings_output",
    "manifest_path",
    "pie_embed_version",
    "read_embeddings",
    "read_json_object",
    "read_manifest",
    "texts_sha256",
    "write_embeddings",
    "write_parquet_table",
    "write_records",
]

warnings.warn(
    "pie_embed.data.writers is deprecated: import from pie_embed.data (or pie_embed.data.manifest, "
    ".checksums, .embeddings, .records)",
    DeprecationWarning,
    stacklevel=2,
)
