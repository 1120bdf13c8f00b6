"""Write embeddings (with a manifest that says how they were made) and write rows back to data files.

Embeddings go to ``.npy`` (plus a ``<path>.manifest.json`` sidecar) or ``.parquet`` (manifest in the
schema metadata and in the sidecar). Every write is atomic (:mod:`pie_embed.data.atomic`).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import importlib.metadata
import io
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

from pie_embed.data.atomic import atomic_write, atomic_write_text, json_default
from pie_embed.errors import DataError

__all__ = [
    "EMBEDDING_SUFFIXES",
    "embeddings_output",
    "MANIFEST_KEY",
    "RECORD_SUFFIXES",
    "EmbeddingManifest",
    "array_sha256",
    "manifest_path",
    "pie_embed_version",
    "read_json_object",
    "read_manifest",
    "embeddings_manifest",
    "read_embeddings",
    "texts_sha256",
    "write_embeddings",
    "write_records",
]

MANIFEST_KEY = b"pie_embed.manifest"
EMBEDDING_SUFFIXES: tuple[str, ...] = (".npy", ".parquet")
RECORD_SUFFIXES: tuple[str, ...] = (".jsonl", ".json", ".csv", ".parquet")


@dataclass
class EmbeddingManifest:
    """How a set of embeddings was made, with checksums of the texts and of the array."""

    model: str
    prompt: str
    pooling: str
    normalize: bool
    dimension: int
    count: int
    texts_sha256: str
    embeddings_sha256: str
    source: str | None = None
    created: str = ""
    pie_embed_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The manifest as a JSON-ready dict."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """The manifest as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, origin: str = "manifest") -> EmbeddingManifest:
        """Build a manifest from a dict; unknown keys are ignored, a missing required key is a DataError."""
        if not isinstance(data, dict):
            raise DataError(f"{origin}: manifest is {type(data).__name__}, expected a JSON object")
        known = {f.name: f for f in dataclasses.fields(cls)}
        required = [
            n
            for n, f in known.items()
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        missing = [n for n in required if n not in data]
        if missing:
            raise DataError(f"{origin}: manifest lacks {', '.join(repr(n) for n in missing)}")
        return cls(**{k: v for k, v in data.items() if k in known})


def pie_embed_version() -> str:
    """The installed pie-embed version, or "0+unknown" when it is not installed."""
    try:
        return importlib.metadata.version("pie-embed")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def texts_sha256(texts: Sequence[str]) -> str:
    """sha256 over the texts, each utf-8 encoded, joined with a NUL byte."""
    digest = hashlib.sha256()
    for index, text in enumerate(texts):
        if index:
            digest.update(b"\x00")
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()


class RunningChecksums:
    """:func:`texts_sha256` and :func:`array_sha256` of rows that arrive in parts, without holding them."""

    def __init__(self) -> None:
        self.count = 0
        self._texts = hashlib.sha256()
        self._vectors = hashlib.sha256()

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.add_texts(texts)
        self._vectors.update(np.ascontiguousarray(vectors, dtype=np.float32))

    def add_texts(self, texts: Sequence[str]) -> None:
        for text in texts:
            if self.count:
                self._texts.update(b"\x00")
            self._texts.update(text.encode("utf-8"))
            self.count += 1

    @property
    def texts_sha256(self) -> str:
        return self._texts.hexdigest()

    @property
    def embeddings_sha256(self) -> str:
        return self._vectors.hexdigest()


def array_sha256(embeddings: np.ndarray) -> str:
    """sha256 of the float32 C-contiguous bytes of an array (hashed in place, without a copy of its bytes)."""
    return hashlib.sha256(np.ascontiguousarray(embeddings, dtype=np.float32)).hexdigest()


def manifest_path(path: str | Path) -> Path:
    """The sidecar manifest of an embeddings file: ``<path>.manifest.json``."""
    path = Path(path)
    return path.with_name(path.name + ".manifest.json")


def _one_line(text: str) -> str:
    return " ".join(str(text).splitlines())


# --------------------------------------------------------------------------------------------- embeddings


def _complete_manifest(
    path: Path, array: np.ndarray, manifest: EmbeddingManifest, texts: Sequence[str] | None
) -> EmbeddingManifest:
    """A copy of ``manifest`` with count, dimension, checksums, time and version filled in and checked."""
    count, dimension = array.shape
    facts: dict[str, Any] = {"count": count, "dimension": dimension, "embeddings_sha256": array_sha256(array)}
    if texts is not None:
        if len(texts) != count:
            raise DataError(f"{path}: {len(texts)} texts for {count} embeddings")
        facts["texts_sha256"] = texts_sha256(texts)
    for name, value in facts.items():
        given = getattr(manifest, name)
        if given not in (0, "", None) and given != value:
            raise DataError(f"{path}: manifest {name} is {given!r} but the data gives {value!r}")
    if not manifest.created:
        facts["created"] = datetime.now(UTC).isoformat(timespec="seconds")
    if not manifest.pie_embed_version:
        facts["pie_embed_version"] = pie_embed_version()
    return dataclasses.replace(manifest, **facts)


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
    complete = _complete_manifest(path, array, manifest, texts)
    sidecar = manifest_path(path)
    if suffix == ".npy":
        atomic_write(path, lambda stream: np.save(stream, array, allow_pickle=False))
    else:
        table = _embedding_table(array, texts, complete)
        atomic_write(path, lambda stream: write_parquet_table(table, stream))
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


def write_parquet_table(table: Any, stream: IO[bytes]) -> None:
    import pyarrow.parquet as pq

    pq.write_table(table, stream)


def _manifest_from_json(text: str | bytes, origin: str) -> EmbeddingManifest:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        detail = (
            f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
            if isinstance(exc, json.JSONDecodeError)
            else exc
        )
        raise DataError(_one_line(f"{origin}: invalid manifest JSON ({detail})")) from None
    if not isinstance(data, dict):
        raise DataError(f"{origin}: a manifest is a JSON object, found {type(data).__name__}")
    data.pop("format", None)  # the folder format a writer records next to the manifest's fields
    return EmbeddingManifest.from_dict(data, origin=origin)


def read_manifest(path: str | Path) -> EmbeddingManifest:
    """The manifest in the JSON file ``path`` (a sidecar, or the manifest of a shard or Ray folder)."""
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the manifest: {exc.strerror or exc}") from None
    return _manifest_from_json(text, str(path))


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object from ``path`` (a folder's bookkeeping file), or a one-line error."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(_one_line(f"{path}: unreadable: {exc}")) from None
    if not isinstance(value, dict):
        raise DataError(f"{path}: expected a JSON object, found {type(value).__name__}")
    return value


def _read_sidecar(path: Path) -> EmbeddingManifest:
    sidecar = manifest_path(path)
    if not sidecar.is_file():
        raise DataError(f"{path}: manifest not found (expected {sidecar.name} next to it)")
    return read_manifest(sidecar)


def _read_parquet_embeddings(path: Path) -> tuple[np.ndarray, EmbeddingManifest, list[str] | None]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(_one_line(f"{path}: not a readable Parquet file: {exc}")) from None
    metadata = table.schema.metadata or {}
    if MANIFEST_KEY in metadata:
        manifest = _manifest_from_json(metadata[MANIFEST_KEY], f"{path} (schema metadata)")
    else:
        manifest = _read_sidecar(path)
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
        if not (path / "manifest.json").is_file():
            raise DataError(f"{path}: the run is not finished (no manifest.json); finish it with --resume")
        return read_manifest(path / "manifest.json")
    if manifest_path(path).is_file():
        return read_manifest(manifest_path(path))
    return read_embeddings(path)[1]


def read_embeddings(path: str | Path) -> tuple[np.ndarray, EmbeddingManifest]:
    """Read embeddings written by :func:`write_embeddings` (or a finished shard folder of a streamed
    ``pie embed``) and check them against their manifest."""
    path = Path(path)
    if path.is_dir():
        from pie_embed.data.ray_parquet import RAY_FORMAT, read_ray_output
        from pie_embed.data.shards import read_shards

        manifest_file = path / "manifest.json"
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
            raise DataError(_one_line(f"{path}: not a readable .npy file: {exc}")) from None
        manifest = _read_sidecar(path)
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


# --------------------------------------------------------------------------------------------- records


def _columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return list(names)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=json_default)


def _records_bytes(path: Path, suffix: str, rows: Sequence[dict[str, Any]]) -> Callable[[IO[bytes]], None]:
    if suffix == ".jsonl":
        text = "".join(json.dumps(row, ensure_ascii=False, default=json_default) + "\n" for row in rows)
        return lambda stream: stream.write(text.encode("utf-8"))
    if suffix == ".json":
        text = json.dumps(list(rows), ensure_ascii=False, indent=2, default=json_default) + "\n"
        return lambda stream: stream.write(text.encode("utf-8"))
    if suffix == ".csv":
        buffer = io.StringIO(newline="")
        columns = _columns(rows)
        if columns:
            writer = csv.writer(buffer)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_csv_cell(row.get(name)) for name in columns])
        data = buffer.getvalue().encode("utf-8")
        return lambda stream: stream.write(data)
    import pyarrow as pa

    columns = _columns(rows)
    try:
        table = pa.table({name: pa.array([row.get(name) for row in rows]) for name in columns})
    except (pa.ArrowException, TypeError) as exc:
        raise DataError(_one_line(f"{path}: cannot store the rows as Parquet columns: {exc}")) from None
    return lambda stream: write_parquet_table(table, stream)


def write_records(path: str | Path, rows: Sequence[dict[str, Any]]) -> None:
    """Write rows to .jsonl, .json (a list), .csv or .parquet, keeping every field and the row order.

    CSV has one column per field seen in any row; None becomes an empty cell and non-string values
    (numbers, lists, objects) are written as JSON.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in RECORD_SUFFIXES:
        raise DataError(
            f"{path}: unsupported file type {path.suffix or '(no suffix)'!r} for rows; "
            f"supported: {', '.join(RECORD_SUFFIXES)}"
        )
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise DataError(f"{path}: row {number} is {type(row).__name__}, expected a dict")
    try:
        write = _records_bytes(path, suffix, rows)
    except TypeError as exc:
        raise DataError(_one_line(f"{path}: cannot write the rows: {exc}")) from None
    atomic_write(path, write)
