"""A dataset together with its (unit-length) vectors: embedded now, or read from a `pie embed` file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pie_embed.data.readers import InstructionDataset, read_instructions
from pie_embed.data.writers import read_embeddings, texts_sha256
from pie_embed.embedding.embedder import InstructionEmbedder
from pie_embed.embedding.encoder import TextEncoder
from pie_embed.errors import DataError


@dataclass
class EmbeddedDataset:
    """The rows of one file, their texts' unit vectors and how the vectors were made."""

    dataset: InstructionDataset
    vectors: np.ndarray
    settings: dict[str, object]

    def __len__(self) -> int:
        return len(self.dataset)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """float32 rows scaled to length 1 (all-zero rows stay zero), so inner product is cosine."""
    array = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return array / np.where(norms > 0, norms, 1.0)


def embed_dataset(
    path: str | Path,
    *,
    embedder: TextEncoder | None = None,
    embeddings: str | Path | None = None,
    field: str = "instruction",
    label_field: str = "label",
    input_field: str = "input",
    join: str = "none",
    split: str | None = None,
    show_progress: bool = False,
) -> EmbeddedDataset:
    """Read ``path`` and embed its rows with ``embedder`` (the default model when None), or take the
    vectors of ``embeddings`` (a `pie embed` output) after checking it was made from the same texts."""
    dataset = read_instructions(
        path, field=field, label_field=label_field, input_field=input_field, join=join, split=split
    )
    texts = dataset.texts
    if embeddings is not None:
        vectors, manifest = read_embeddings(embeddings)
        if manifest.count != len(texts):
            raise DataError(
                f"{embeddings}: has {manifest.count} embeddings but {path} has {len(texts)} rows; "
                "re-run pie embed on this file"
            )
        if manifest.texts_sha256 and manifest.texts_sha256 != texts_sha256(texts):
            raise DataError(
                f"{embeddings}: was made from other texts than {path} (field {field!r}, join {join!r}); "
                "re-run pie embed on this file with the same --field/--join"
            )
        settings: dict[str, object] = {
            "model": manifest.model,
            "prompt": manifest.prompt,
            "pooling": manifest.pooling,
            "embeddings": str(embeddings),
        }
        return EmbeddedDataset(dataset, unit_rows(vectors), settings)
    embedder = embedder or InstructionEmbedder()
    vectors = embedder.encode(texts, show_progress_bar=show_progress)
    described = embedder.describe()
    settings = {k: described.get(k) for k in ("model", "prompt", "pooling", "max_length")}
    return EmbeddedDataset(dataset, unit_rows(vectors), settings)
