"""The folder ``pie embed --engine ray`` wrote before 0.9 (Ray Data): Parquet parts (``text``,
``embedding``) in input order when read in name order, and a ``manifest.json`` whose ``format`` is
:data:`RAY_FORMAT`. Read only: the Ray engine now writes shard folders like every other engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from pie_embed.data.checksums import array_sha256
from pie_embed.data.manifest import MANIFEST_FILE, EmbeddingManifest, read_manifest
from pie_embed.errors import DataError

RAY_FORMAT = "pie-embed-ray-parquet"


def ray_parts(folder: Path) -> list[Path]:
    """The Parquet parts of a ray-engine folder, in input order."""
    return sorted(folder.glob("*.parquet"))


def iter_ray_parts(folder: Path) -> Iterator[tuple[list[str], np.ndarray]]:
    """(texts, vectors) per record batch of the parts, in input order."""
    import pyarrow.parquet as pq

    for part in ray_parts(folder):
        for batch in pq.ParquetFile(part).iter_batches():
            texts = batch.column("text").to_pylist()
            vectors = np.asarray(batch.column("embedding").to_pylist(), dtype=np.float32)
            yield texts, vectors


def read_ray_output(folder: str | Path) -> tuple[np.ndarray, EmbeddingManifest]:
    """The vectors of a finished ray-engine folder, in input order, checked against its manifest."""
    folder = Path(folder)
    manifest = read_manifest(folder / MANIFEST_FILE)
    parts = [vectors for _, vectors in iter_ray_parts(folder)]
    vectors = np.concatenate(parts) if parts else np.zeros((0, manifest.dimension), np.float32)
    if len(vectors) != manifest.count or array_sha256(vectors) != manifest.embeddings_sha256:
        raise DataError(f"{folder}: Parquet files do not match {MANIFEST_FILE} (folder changed?)")
    return vectors, manifest
