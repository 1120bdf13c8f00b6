"""The formats instructions are read from, as streams of raw rows: JSON (a list of objects or strings, or
an IEB label dict), JSON Lines, CSV, Parquet and saved Hugging Face datasets.

:func:`open_rows` opens any of them; tabular formats and JSON Lines are streamed, a JSON document is
parsed whole. Every problem is a :class:`~pie_embed.errors.DataError` naming the file and the line or row.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pie_embed.errors import DataError
from pie_embed.extras import import_extra

SUFFIXES: tuple[str, ...] = (".json", ".jsonl", ".csv", ".parquet")
_MAX_LISTED = 20
_CSV_FIELD_LIMIT = 2**31 - 1


def _error(path: Path | str, where: str | None, message: str) -> DataError:
    """A DataError whose message is ``path: where: message`` on one line."""
    text = f"{path}: {where}: {message}" if where else f"{path}: {message}"
    return DataError(" ".join(text.splitlines()))


def _listing(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:_MAX_LISTED])
    if len(names) > _MAX_LISTED:
        shown += f", ... ({len(names)} in all)"
    return shown or "none"


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


@dataclass
class _RawRow:
    """A row as loaded, before field extraction."""

    line: int
    where: str
    row: dict[str, Any]
    label: str | None = None  # forced label (IEB label-dict key)


@dataclass
class OpenedRows:
    """The raw rows of a file, streamed, with what its format says about them."""

    format: str
    rows: Iterator[_RawRow]
    columns: list[str] | None = None  # header/schema columns of tabular formats
    label_names: dict[str, list[str]] | None = None  # ClassLabel names of HF dataset columns


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _error(path, None, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise _error(path, f"line {line}", f"not valid UTF-8 (byte offset {exc.start})") from None


def check_path(path: Path) -> None:
    """A one-line DataError unless ``path`` is a readable input: a supported file or a saved HF dataset."""
    if not path.exists():
        raise _error(path, None, "file not found")
    if path.is_dir():
        if not _is_saved_dataset(path):
            raise _error(
                path,
                None,
                "is a directory but not a saved Hugging Face dataset (no dataset_dict.json or state.json; "
                "save one with Dataset.save_to_disk)",
            )
        return
    if path.suffix.lower() not in SUFFIXES:
        raise _error(
            path,
            None,
            f"unsupported file type {path.suffix or '(no suffix)'!r}; supported: "
            f"{', '.join(SUFFIXES)} or a saved Hugging Face dataset directory",
        )


def _is_saved_dataset(path: Path) -> bool:
    return (path / "dataset_dict.json").is_file() or (path / "state.json").is_file()


# --------------------------------------------------------------------------------------------- JSON / JSONL


def _first_line_is_object(text: str) -> bool:
    for line in text.split("\n"):
        if line.strip():
            try:
                return isinstance(json.loads(line), dict)
            except json.JSONDecodeError:
                return False
    return False


def _parse_json(path: Path, text: str) -> tuple[str, Any]:
    """``("json", value)`` or ``("jsonl", None)`` when a .json file holds JSON Lines."""
    try:
        return "json", json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and _first_line_is_object(text):
            return "jsonl", None
        raise _error(path, f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}") from None


def _jsonl_rows(path: Path, text: str) -> list[_RawRow]:
    return [_jsonl_row(path, line, n) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]


def _jsonl_row(path: Path, line: str, number: int) -> _RawRow:
    where = f"line {number}"
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _error(path, where, f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(value, dict):
        raise _error(path, where, f"expected a JSON object, got {_type_name(value)}")
    return _RawRow(number, where, value)


def _is_label_dict(value: object) -> bool:
    return isinstance(value, dict) and (
        not value or any(isinstance(v, dict) and "samples" in v for v in value.values())
    )


def _json_format(path: Path, value: Any) -> str:
    if isinstance(value, list):
        if not value or isinstance(value[0], dict):
            return "json-list"
        if isinstance(value[0], str):
            return "json-strings"
        raise _error(path, "item 1", f"expected a JSON object or string, got {_type_name(value[0])}")
    if _is_label_dict(value):
        return "ieb-label-dict"
    found = "an object" if isinstance(value, dict) else _type_name(value)
    raise _error(
        path,
        None,
        f"unsupported JSON shape: top level is {found}; "
        'expected a list of objects, a list of strings, or an IEB label dict {label: {"samples": [...]}}',
    )


def _json_rows(path: Path, fmt: str, value: Any, field: str, label_field: str) -> list[_RawRow]:
    rows: list[_RawRow] = []
    if fmt == "json-list":
        for number, item in enumerate(value, start=1):
            if not isinstance(item, dict):
                raise _error(path, f"item {number}", f"expected a JSON object, got {_type_name(item)}")
            rows.append(_RawRow(number, f"item {number}", item))
    elif fmt == "json-strings":
        for number, item in enumerate(value, start=1):
            if not isinstance(item, str):
                raise _error(path, f"item {number}", f"expected a string, got {_type_name(item)}")
            rows.append(_RawRow(number, f"item {number}", {field: item}))
    else:  # ieb-label-dict
        number = 0
        for label, group in value.items():
            if not isinstance(group, dict) or not isinstance(group.get("samples"), list):
                raise _error(path, f"label {label!r}", 'expected an object with a "samples" list')
            for index, sample in enumerate(group["samples"], start=1):
                number += 1
                where = f"item {number} (label {label!r}, sample {index})"
                if not isinstance(sample, dict):
                    raise _error(path, where, f"expected a JSON object, got {_type_name(sample)}")
                row = dict(sample)
                row.setdefault(label_field, label)
                rows.append(_RawRow(number, where, row, label=str(label)))
    return rows


# --------------------------------------------------------------------------------------------- streams


def _jsonl_stream(path: Path) -> Iterator[_RawRow]:
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise _error(path, None, f"cannot read: {exc.strerror}") from None
    with stream:
        for number, raw in enumerate(stream, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise _error(
                    path, f"line {number}", f"not valid UTF-8 (byte {exc.start} of the line)"
                ) from None
            if line.strip():
                yield _jsonl_row(path, line, number)


def _csv_stream(path: Path) -> tuple[list[str], Iterator[_RawRow]]:
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    stream = path.open(encoding="utf-8-sig", newline="")
    reader = csv.reader(stream, strict=True)
    header: list[str] = []
    try:
        for cells in reader:
            if cells:
                header = cells
                break
    except (csv.Error, UnicodeDecodeError) as exc:
        stream.close()
        raise _error(path, f"line {reader.line_num}", f"invalid CSV: {exc}") from None
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        stream.close()
        raise _error(path, "header", f"duplicate header columns: {_listing(duplicates)}")

    def rows() -> Iterator[_RawRow]:
        number = 0
        with stream:
            try:
                while True:
                    start = reader.line_num + 1
                    try:
                        cells = next(reader)
                    except StopIteration:
                        return
                    if not cells:
                        continue
                    number += 1
                    where = f"row {number} (line {start})"
                    if len(cells) != len(header):
                        raise _error(path, where, f"has {len(cells)} fields but the header has {len(header)}")
                    yield _RawRow(number, where, dict(zip(header, cells, strict=True)))
            except (csv.Error, UnicodeDecodeError) as exc:
                raise _error(path, f"line {reader.line_num}", f"invalid CSV: {exc}") from None

    return header, rows()


def _parquet_stream(path: Path, batch_rows: int) -> tuple[list[str], Iterator[_RawRow]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise _error(path, None, f"not a readable Parquet file: {exc}") from None

    def rows() -> Iterator[_RawRow]:
        number = 0
        for batch in parquet.iter_batches(batch_size=batch_rows):
            for row in batch.to_pylist():
                number += 1
                yield _RawRow(number, f"row {number}", row)

    return list(parquet.schema_arrow.names), rows()


def _hf_stream(dataset: Any, where: str, batch_rows: int) -> Iterator[_RawRow]:
    for start in range(0, len(dataset), batch_rows):
        for offset, row in enumerate(
            dataset.select(range(start, min(start + batch_rows, len(dataset)))).to_list()
        ):
            number = start + offset + 1
            yield _RawRow(number, f"{where}row {number}", row)


def _open_hf(path: Path, split: str | None) -> tuple[Any, str, dict[str, list[str]]]:
    """The chosen split of a saved dataset (memory-mapped, not loaded), its error prefix and label names."""
    datasets = import_extra("datasets", "hf")
    try:
        loaded = datasets.load_from_disk(str(path))
    except Exception as exc:  # any load failure is a data problem here
        raise _error(path, None, f"cannot load the saved Hugging Face dataset: {exc}") from None
    where = ""
    if isinstance(loaded, datasets.DatasetDict):
        splits = list(loaded.keys())
        chosen = split if split is not None else ("train" if "train" in loaded else None)
        if chosen is None or chosen not in loaded:
            wanted = f"split {split!r} not found" if split is not None else "no 'train' split; pass split="
            raise _error(path, None, f"{wanted} (splits: {_listing(splits)})")
        dataset = loaded[chosen]
        where = f"split {chosen!r} "
    else:
        dataset = loaded
        if split is not None and (dataset.split is None or str(dataset.split) != split):
            raise _error(path, None, f"split {split!r} requested but the directory holds a single Dataset")
    label_names: dict[str, list[str]] = {
        name: list(feature.names)
        for name, feature in dataset.features.items()
        if isinstance(feature, datasets.ClassLabel)
    }
    return dataset, where, label_names


def open_rows(
    path: Path, *, field: str, label_field: str, split: str | None, batch_rows: int = 10_000
) -> OpenedRows:
    """The rows of ``path`` in any supported format (``field`` and ``label_field`` shape an IEB label dict's
    or a list of strings' rows)."""
    check_path(path)
    if path.is_dir():
        dataset, where, label_names = _open_hf(path, split)
        rows = _hf_stream(dataset, where, batch_rows)
        return OpenedRows("hf-dataset", rows, list(dataset.column_names), label_names)
    if split is not None:
        raise _error(path, None, f"split {split!r} only applies to a saved Hugging Face dataset directory")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        columns, rows = _csv_stream(path)
        return OpenedRows("csv", rows, columns)
    if suffix == ".parquet":
        columns, rows = _parquet_stream(path, batch_rows)
        return OpenedRows("parquet", rows, columns)
    if suffix == ".jsonl":
        return OpenedRows("jsonl", _jsonl_stream(path))
    text = _read_text(path)
    kind, value = _parse_json(path, text)
    if kind == "jsonl":
        return OpenedRows("jsonl", iter(_jsonl_rows(path, text)))
    fmt = _json_format(path, value)
    return OpenedRows(fmt, iter(_json_rows(path, fmt, value, field, label_field)))


def check_columns(path: Path, loaded: OpenedRows, names: list[str]) -> None:
    """A one-line error unless every column in ``names`` is in a tabular file's header or schema."""
    if loaded.columns is None:
        return
    for name in names:
        if name not in loaded.columns:
            kind = "header columns" if loaded.format == "csv" else "columns"
            where = "header" if loaded.format == "csv" else None
            raise _error(path, where, f"missing column {name!r} ({kind}: {_listing(loaded.columns)})")
