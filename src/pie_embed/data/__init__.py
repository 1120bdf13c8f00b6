"""Reading instruction data (an :class:`InstructionSource` is a file and its reader settings) and writing
embeddings and rows."""

from pie_embed.data.checksums import array_sha256, texts_sha256
from pie_embed.data.embeddings import read_embeddings, write_embeddings
from pie_embed.data.manifest import EmbeddingManifest, manifest_path
from pie_embed.data.readers import (
    InstructionDataset,
    InstructionPair,
    InstructionRecord,
    detect_format,
    read_instructions,
    read_pairs,
    read_rows_at,
)
from pie_embed.data.records import write_records
from pie_embed.data.source import InstructionSource

__all__ = [
    "EmbeddingManifest",
    "InstructionDataset",
    "InstructionPair",
    "InstructionRecord",
    "InstructionSource",
    "array_sha256",
    "detect_format",
    "manifest_path",
    "read_embeddings",
    "read_instructions",
    "read_pairs",
    "read_rows_at",
    "texts_sha256",
    "write_embeddings",
    "write_records",
]
