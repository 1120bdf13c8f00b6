"""Embeddings on disk: a ``.npy`` or ``.parquet`` file with its manifest, or a folder (shards, or the
Parquet parts of the old Ray engine), all read back by :func:`read_embeddings`. Writes are atomic."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pie_embed.data.atomic import atomic_write, atomic_write_text
from pie_embed.data.checksums import array_sha256, texts_sha256
from pie_embed.data.manifest import (
    MANIFEST_FILE,
    EmbeddingManifest,
    complete_manifest,
    manifest_from_json,
    manifest_path,
    read_json_object,
    read_manifest,
    read_sidecar,
)
from pie_embed.data.ray_parquet import RAY_FORMAT, read_ray_output
from pie_embed.data.shards import read_shards
from pie_embed.errors import DataError, one_line

MANIFEST_KEY = b"pie_embed.manifest"
EMBEDDING_SUFFIXES: tuple[str, ...] = (".npy", ".parquet")


def write_embeddings(
    path: str | Path,
    embeddings: np.ndarray,
    manifest: EmbeddingManifest,
    texts: Sequence[str] | None = None,
) -> Path:
    """Write embeddings (float32) to .npy or .parquet with a manifest; return the sidecar manifest path.

    count, dimension, embeddings_sha256 (and texts_sha256 when ``texts`` is given) are filled in from the
    data when the manifest leaves them 0/empty, and must agree with the data otherwise. With ``texts`` a
    Parquet file also gets a ``text`` column.
    """
    path = Path(path)
    suffix = _embeddings_suffix(path)
    array = np.ascontiguousarray(np.asarray(embeddings), dtype=np.float32)
    if array.ndim != 2 or array.shape[1] < 1:
        raise DataError(f"{path}: embeddings must be a 2-D array (count, dimension), got shape {array.shape}")
    if texts is not None and (isinstance(texts, str) or not all(isinstance(t, str) for t in texts)):
        raise DataError(f"{path}: texts must be a list of strings")
    complete = complete_manifest(path, array, manifest, texts)
    sidecar = manifest_path(path)
    if suffix == ".npy":
        atomic_write(path, lambda stream: np.save(stream, array, allow_pickle=False))
    else:
        table = _embedding_table(array, texts, complete)
        atomic_write(path, lambda stream: _write_parquet(table, stream))
    atomic_write_text(sidecar, complete.to_json())
    return sidecar


def _embedding_table(array: np.ndarray, texts: Sequence[str] | None, manifest: EmbeddingManifest) -> Any:
    import pyarrow as pa

    count, dimension = array.shape
    columns: dict[str, Any] = {"index": pa.array(np.arange(count, dtype=np.int64))}
    if texts is not None:
        columns["text"] = pa.array(list(texts), type=pa.string())
    values = pa.array(array.reshape(-1), type=pa.float32())
    columns["embedding"] = pa.FixedSizeListArray.from_arrays(values, dimension)
    table = pa.table(columns)
    return table.replace_schema_metadata({MANIFEST_KEY: json.dumps(manifest.to_dict()).encode("utf-8")})


def _read_parquet_embeddings(path: Path) -> tuple[np.ndarray, EmbeddingManifest, list[str] | None]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(one_line(f"{path}: not a readable Parquet file: {exc}")) from None
    metadata = table.schema.metadata or {}
    if MANIFEST_KEY in metadata:
        manifest = manifest_from_json(metadata[MANIFEST_KEY], f"{path} (schema metadata)")
    else:
        manifest = read_sidecar(path)
    if "embedding" not in table.column_names:
        raise DataError(f"{path}: missing column 'embedding' (columns: {', '.join(table.column_names)})")
    column = table.column("embedding").combine_chunks()
    if not pa.types.is_fixed_size_list(column.type):
        raise DataError(f"{path}: column 'embedding' is {column.type}, expected fixed_size_list<float32>")
    if column.null_count or column.flatten().null_count:
        raise DataError(f"{path}: column 'embedding' has null values")
    dimension = column.type.list_size
    array = column.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    array = np.ascontiguousarray(array.reshape(len(column), dimension))
    if "index" in table.column_names:
        index = table.column("index").to_numpy()
        if not np.array_equal(index, np.arange(len(column))):
            raise DataError(f"{path}: column 'index' is not 0..{len(column) - 1} in order")
    texts = table.column("text").to_pylist() if "text" in table.column_names else None
    return array, manifest, texts


def _embeddings_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in EMBEDDING_SUFFIXES:
        raise DataError(
            f"{path}: unsupported embeddings file type {path.suffix or '(no suffix)'!r}; "
            f"supported: {', '.join(EMBEDDING_SUFFIXES)}"
        )
    return suffix


def embeddings_output(output: str | Path, *, folder: bool = False) -> tuple[Path, bool]:
    """Where ``pie embed`` writes and whether it is a folder of shards: a ``.npy`` or ``.parquet`` file,
    or a folder asked for explicitly (a trailing ``/``, ``folder=True``, or a folder that exists)."""
    raw = str(output)
    path = Path(raw)
    if folder or raw.endswith(("/", os.sep)) or path.is_dir():
        return path, True
    if path.suffix.lower() in EMBEDDING_SUFFIXES:
        return path, False
    raise DataError(
        f"{raw}: unknown output type {path.suffix or '(no suffix)'!r}; accepted: "
        f"{', '.join(EMBEDDING_SUFFIXES)} for one file, or a folder of shards (a trailing '/', as in "
        f"{raw}/, or --shards)"
    )


def embeddings_manifest(path: str | Path) -> EmbeddingManifest:
    """The manifest of a `pie embed` output (file or finished folder) without reading its vectors."""
    path = Path(path)
    if path.is_dir():
        if not (path / MANIFEST_FILE).is_file():
            raise DataError(f"{path}: the run is not finished (no {MANIFEST_FILE}); finish it with --resume")
        return read_manifest(path / MANIFEST_FILE)
    if manifest_path(path).is_file():
        return read_manifest(manifest_path(path))
    return read_embeddings(path)[1]


def read_embeddings(path: str | Path) -> tuple[np.ndarray, EmbeddingManifest]:
    """Read embeddings written by :func:`write_embeddings` (or a finished shard folder of a streamed
    ``pie embed``) and check them against their manifest."""
    path = Path(path)
    if path.is_dir():
        manifest_file = path / MANIFEST_FILE
        written_by_ray = (
            manifest_file.is_file() and read_json_object(manifest_file).get("format") == RAY_FORMAT
        )
        return read_ray_output(path) if written_by_ray else read_shards(path)
    suffix = _embeddings_suffix(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    texts: list[str] | None = None
    if suffix == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise DataError(one_line(f"{path}: not a readable .npy file: {exc}")) from None
        manifest = read_sidecar(path)
    else:
        array, manifest, texts = _read_parquet_embeddings(path)
    if array.ndim != 2:
        raise DataError(f"{path}: embeddings have shape {array.shape}, expected (count, dimension)")
    array = np.ascontiguousarray(array, dtype=np.float32)
    if manifest.count != array.shape[0] or manifest.dimension != array.shape[1]:
        raise DataError(
            f"{path}: manifest says {manifest.count} x {manifest.dimension} but the file holds "
            f"{array.shape[0]} x {array.shape[1]}"
        )
    if array_sha256(array) != manifest.embeddings_sha256:
        raise DataError(f"{path}: embeddings do not match the manifest's embeddings_sha256 (file changed?)")
    if texts is not None and manifest.texts_sha256 and texts_sha256(texts) != manifest.texts_sha256:
        raise DataError(f"{path}: column 'text' does not match the manifest's texts_sha256 (file changed?)")
    return array, manifest


def _write_parquet(table: Any, stream: Any) -> None:
    import pyarrow.parquet as pq

    pq.write_table(table, stream)
