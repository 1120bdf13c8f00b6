"""Reading instruction data and writing embeddings and rows."""

from pie_embed.data.readers import (
    InstructionDataset,
    InstructionPair,
    InstructionRecord,
    detect_format,
    read_instructions,
    read_pairs,
    read_rows_at,
)
from pie_embed.data.writers import (
    EmbeddingManifest,
    array_sha256,
    manifest_path,
    read_embeddings,
    texts_sha256,
    write_embeddings,
    write_records,
)

__all__ = [
    "EmbeddingManifest",
    "InstructionDataset",
    "InstructionPair",
    "InstructionRecord",
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
