"""Rows written back to data files (``.jsonl``, ``.json``, ``.csv``, ``.parquet``), every field kept."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from pie_embed.data.atomic import atomic_write, json_default
from pie_embed.errors import DataError, one_line

RECORD_SUFFIXES: tuple[str, ...] = (".jsonl", ".json", ".csv", ".parquet")


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


def jsonl_line(row: dict[str, Any]) -> str:
    """One row as a JSON Lines line (Unicode kept, numpy values and results as JSON)."""
    return json.dumps(row, ensure_ascii=False, default=json_default) + "\n"


def _records_bytes(path: Path, suffix: str, rows: Sequence[dict[str, Any]]) -> Callable[[IO[bytes]], None]:
    if suffix == ".jsonl":
        text = "".join(jsonl_line(row) for row in rows)
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
        raise DataError(one_line(f"{path}: cannot store the rows as Parquet columns: {exc}")) from None
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
        raise DataError(one_line(f"{path}: cannot write the rows: {exc}")) from None
    atomic_write(path, write)


def write_parquet_table(table: Any, stream: IO[bytes]) -> None:
    """Write an Arrow table as Parquet to an open binary stream (an atomic write's temporary file)."""
    import pyarrow.parquet as pq

    pq.write_table(table, stream)
