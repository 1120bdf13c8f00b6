"""Read instructions (and IIS instruction pairs) from JSON, JSON Lines, CSV, Parquet or a saved HF dataset.

Every problem is a :class:`~pie_embed.errors.DataError` with a one-line message that names the file, the
line/row/item and the field. Rows are never dropped silently: a row is either read or is an error.
Blank lines in JSON Lines (and CSV) files are not data and are skipped. The formats themselves are read
in :mod:`pie_embed.data.formats`; reading a whole file and streaming it in chunks share one row stream.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pie_embed.data.formats import (
    SUFFIXES,
    OpenedRows,
    _error,
    _json_format,
    _listing,
    _parse_json,
    _RawRow,
    _read_text,
    _type_name,
    check_columns,
    check_path,
    open_rows,
)
from pie_embed.data.text import clean_text, value_surrogate_problem
from pie_embed.errors import DataError

__all__ = [
    "FORMATS",
    "JOIN_MODES",
    "SUFFIXES",
    "InstructionDataset",
    "InstructionPair",
    "InstructionRecord",
    "check_join",
    "check_path",
    "detect_format",
    "iter_instructions",
    "join_text",
    "count_rows",
    "read_instructions",
    "read_pairs",
    "read_rows_at",
]

FORMATS: tuple[str, ...] = (
    "ieb-label-dict",
    "json-list",
    "json-strings",
    "jsonl",
    "csv",
    "parquet",
    "hf-dataset",
)
JOIN_MODES: tuple[str, ...] = ("none", "newline", "space")
# the reader settings and their defaults (InstructionSource holds them as one value)
READER_DEFAULTS: dict[str, Any] = {
    "field": "instruction",
    "label_field": "label",
    "input_field": "input",
    "join": "none",
    "split": None,
}
_PLACEHOLDER = re.compile(r"\{(instruction|input)\}")


@dataclass
class InstructionRecord:
    """One instruction read from a file."""

    text: str
    label: str | None
    row: dict[str, Any]
    line: int


@dataclass
class InstructionDataset:
    """The instructions of one file, in file order.

    ``row_numbers`` is set when the dataset holds only some rows of its file (:func:`read_rows_at`):
    ``records[i]`` is then the file's row ``row_numbers[i]``.
    """

    records: list[InstructionRecord]
    path: Path
    format: str
    row_numbers: list[int] | None = None

    def record_at(self, row: int) -> InstructionRecord:
        """The record of the file's row ``row`` (a DataError if the dataset does not hold it)."""
        position = row if self.row_numbers is None else self._positions.get(row, -1)
        if not 0 <= position < len(self.records):
            raise DataError(f"{self.path}: row index {row} is not among the rows read")
        return self.records[position]

    @functools.cached_property
    def _positions(self) -> dict[int, int]:
        return {row: i for i, row in enumerate(self.row_numbers or [])}

    @property
    def texts(self) -> list[str]:
        """The texts to embed, in file order."""
        return [r.text for r in self.records]

    @property
    def labels(self) -> list[str | None]:
        """The labels (None where a row has none), in file order."""
        return [r.label for r in self.records]

    def __len__(self) -> int:
        return len(self.records)


@dataclass
class InstructionPair:
    """One pair of the Instruction Intention Similarity (IIS) task."""

    text1: str
    text2: str
    label: int
    intention1: str | None
    intention2: str | None
    line: int


def detect_format(path: str | Path) -> str:
    """The format of ``path``: one of :data:`FORMATS` (JSON files are inspected, not only their suffix)."""
    path = Path(path)
    check_path(path)
    if path.is_dir():
        return "hf-dataset"
    suffix = path.suffix.lower()
    if suffix == ".json":
        kind, value = _parse_json(path, _read_text(path))
        return "jsonl" if kind == "jsonl" else _json_format(path, value)
    return suffix.lstrip(".")


def check_join(path: Path, join: str) -> None:
    """A one-line error unless ``join`` is a join mode or a template with both placeholders."""
    if join in JOIN_MODES or ("{instruction}" in join and "{input}" in join):
        return
    raise _error(
        path,
        None,
        f"invalid join {join!r}: use one of {', '.join(JOIN_MODES)} or a template containing "
        "'{instruction}' and '{input}'",
    )


def join_text(instruction: str, extra: str, join: str) -> str:
    """The instruction and its input combined as ``join`` says (see :func:`read_instructions`)."""
    if join == "none" or not extra.strip():
        return instruction
    if join == "newline":
        return f"{instruction}\n{extra}"
    if join == "space":
        return f"{instruction} {extra}"
    values = {"instruction": instruction, "input": extra}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], join)


def _string_field(path: Path, raw: _RawRow, name: str, *, what: str) -> str:
    if name not in raw.row:
        raise _error(path, raw.where, f"missing field {name!r} (fields: {_listing(list(raw.row))})")
    value = raw.row[name]
    if not isinstance(value, str):
        raise _error(path, raw.where, f"field {name!r} is {_type_name(value)}, expected a string")
    text = clean_text(value)
    if not text.strip():
        raise _error(path, raw.where, f"empty {what} in field {name!r}")
    return text


def _check_values(path: Path, raw: _RawRow) -> None:
    """Every field of a row must be writable back out as UTF-8: a lone surrogate anywhere is an error."""
    for name, value in raw.row.items():
        if (problem := value_surrogate_problem(value)) is not None:
            raise _error(path, raw.where, f"field {str(name)!r} is not valid Unicode: {problem}")


def _nonempty(path: Path, opened: OpenedRows, what: str) -> OpenedRows:
    """``opened`` with its first row looked at: a file without rows is an error, not an empty result."""
    first = next(opened.rows, None)
    if first is None:
        raise _error(path, None, f"no {what} found")
    opened.rows = itertools.chain([first], opened.rows)
    return opened


def _records(
    path: Path, *, require_labels: bool = False, chunk_rows: int = 10_000, **reader_options: Any
) -> tuple[str, Iterator[InstructionRecord]]:
    """The format of ``path`` and its records, streamed: what reading whole and reading in chunks share.
    ``reader_options`` are :func:`read_instructions`'s (field, label_field, input_field, join, split)."""
    unknown = set(reader_options) - set(READER_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown reader option(s): {', '.join(sorted(unknown))}")
    options = {**READER_DEFAULTS, **reader_options}
    field, label_field, input_field = options["field"], options["label_field"], options["input_field"]
    join, split = options["join"], options["split"]
    check_join(path, join)
    opened = _nonempty(
        path,
        open_rows(path, field=field, label_field=label_field, split=split, batch_rows=chunk_rows),
        "instructions",
    )
    if opened.format != "json-strings":
        check_columns(path, opened, [field])
    if require_labels and opened.format == "json-strings":
        raise _error(path, None, f"a list of strings has no labels (require_labels, field {label_field!r})")
    if require_labels and opened.format != "ieb-label-dict":
        check_columns(path, opened, [label_field])
    spec = _FieldSpec(field, label_field, input_field, join, require_labels, opened.format)
    class_names = (opened.label_names or {}).get(label_field)
    return opened.format, (_record(path, raw, spec, class_names) for raw in opened.rows)


def read_instructions(
    path: str | Path,
    field: str = "instruction",
    label_field: str = "label",
    input_field: str = "input",
    join: str = "none",
    split: str | None = None,
    *,
    require_labels: bool = False,
) -> InstructionDataset:
    """Read the instructions of a file or saved HF dataset, keeping file order and every field of each row.

    ``join`` combines the instruction with ``input_field``: "none", "newline", "space", or a template
    containing ``{instruction}`` and ``{input}``; an absent or empty input gives the instruction alone.
    Labels come from ``label_field`` (the key for an IEB label dict); an absent label is None unless
    ``require_labels`` is set.
    """
    path = Path(path)
    options = {"field": field, "label_field": label_field, "input_field": input_field, "join": join}
    fmt, records = _records(path, split=split, require_labels=require_labels, **options)
    return InstructionDataset(records=list(records), path=path, format=fmt)


def read_rows_at(path: str | Path, rows: Iterable[int], **reader_options: Any) -> InstructionDataset:
    """Only the rows ``rows`` (file row numbers) of a file, read in one streamed pass, in file order:
    how a few chosen rows of a file too large to hold are read back. ``reader_options`` are
    :func:`read_instructions`'s."""
    path = Path(path)
    wanted = sorted(set(int(r) for r in rows))
    if wanted and wanted[0] < 0:
        raise DataError(f"{path}: row index {wanted[0]} is negative")
    fmt, records = _records(path, **reader_options)
    kept: list[InstructionRecord] = []
    found: list[int] = []
    if wanted:
        for row, record in enumerate(records):
            if row == wanted[len(found)]:
                kept.append(record)
                found.append(row)
                if len(found) == len(wanted):
                    break
    if len(found) < len(wanted):
        raise DataError(f"{path}: row index {wanted[len(found)]} out of range (the file has fewer rows)")
    return InstructionDataset(records=kept, path=path, format=fmt, row_numbers=found)


def count_rows(path: str | Path, field: str = "instruction", split: str | None = None) -> int:
    """How many rows a file holds, cheaply where the format allows (JSONL lines, Parquet metadata); other
    formats are streamed once as rows, not made into records. ``field`` names the instruction where a
    format needs it (a list of strings)."""
    path = Path(path)
    fmt = detect_format(path)
    if fmt == "jsonl":  # blank lines are skipped as the reader skips them (str.strip, not bytes.strip)
        with path.open("rb") as stream:
            return sum(1 for line in stream if line.decode("utf-8", "replace").strip())
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    return sum(1 for _ in open_rows(path, field=field, label_field="label", split=split).rows)


def iter_instructions(
    path: str | Path, *, chunk_rows: int = 10_000, **reader_options: Any
) -> Iterator[list[InstructionRecord]]:
    """:func:`read_instructions` (same ``reader_options``) as consecutive chunks of ``chunk_rows``
    records, holding one chunk at a time: JSONL, CSV, Parquet and saved HF datasets are streamed (a JSON
    document is parsed whole)."""
    _, records = _records(Path(path), chunk_rows=chunk_rows, **reader_options)
    while chunk := list(itertools.islice(records, chunk_rows)):
        yield chunk


@dataclass(frozen=True)
class _FieldSpec:
    field: str
    label_field: str
    input_field: str
    join: str
    require_labels: bool
    format: str


def _record(path: Path, raw: _RawRow, spec: _FieldSpec, class_names: list[str] | None) -> InstructionRecord:
    """One row's instruction (joined with its input as asked), label and fields, or a one-line error."""
    _check_values(path, raw)
    instruction = _string_field(path, raw, spec.field, what="instruction")
    text = instruction
    if spec.join != "none" and spec.format != "json-strings":
        extra = raw.row.get(spec.input_field)
        if extra is not None and not isinstance(extra, str):
            raise _error(
                path, raw.where, f"field {spec.input_field!r} is {_type_name(extra)}, expected a string"
            )
        text = join_text(instruction, clean_text(extra or ""), spec.join)
    label = raw.label
    if label is None and spec.format != "json-strings":
        value = raw.row.get(spec.label_field)
        if spec.format == "csv" and value == "":
            value = None
        if class_names is not None and isinstance(value, int) and not isinstance(value, bool):
            value = class_names[value] if 0 <= value < len(class_names) else None  # -1: no label
        if value is not None:
            label = str(value)
    if label is None and spec.require_labels:
        if spec.label_field not in raw.row:
            reason = f"missing label field {spec.label_field!r} (fields: {_listing(list(raw.row))})"
        else:
            state = "null" if raw.row[spec.label_field] is None else "empty"
            reason = f"{state} label in field {spec.label_field!r}"
        raise _error(path, raw.where, reason)
    return InstructionRecord(text=text, label=label, row=raw.row, line=raw.line)


def _int_label(value: object) -> int | None:
    """An integer label from an int, bool, integral float or digit string; None if it is none of these."""
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _iter_pairs(path: Path, opened: OpenedRows) -> Iterator[InstructionPair]:
    for raw in opened.rows:
        _check_values(path, raw)
        text1 = _string_field(path, raw, "instruction1", what="instruction")
        text2 = _string_field(path, raw, "instruction2", what="instruction")
        if "label" not in raw.row:
            raise _error(path, raw.where, f"missing field 'label' (fields: {_listing(list(raw.row))})")
        value = raw.row["label"]
        label = _int_label(value)
        if label is None:
            raise _error(path, raw.where, f"field 'label' is {value!r}, expected an integer such as 0 or 1")
        intentions: list[str | None] = []
        for name in ("intention1", "intention2"):
            intention = raw.row.get(name)
            if opened.format == "csv" and intention == "":
                intention = None
            if intention is not None and not isinstance(intention, str):
                raise _error(path, raw.where, f"field {name!r} is {_type_name(intention)}, expected a string")
            intentions.append(intention)
        yield InstructionPair(text1, text2, label, intentions[0], intentions[1], raw.line)


def read_pairs(path: str | Path) -> list[InstructionPair]:
    """Read an IIS pair file: rows of {instruction1, instruction2, label, intention1?, intention2?}."""
    path = Path(path)
    opened = open_rows(path, field="instruction1", label_field="label", split=None)
    if opened.format in ("ieb-label-dict", "json-strings"):
        raise _error(path, None, f"expected a list of instruction pairs, found a {opened.format} file")
    opened = _nonempty(path, opened, "pairs")
    check_columns(path, opened, ["instruction1", "instruction2", "label"])
    return list(_iter_pairs(path, opened))
