"""Read instructions (and IIS instruction pairs) from JSON, JSON Lines, CSV, Parquet or a saved HF dataset.

Every problem is a :class:`~pie_embed.errors.DataError` with a one-line message that names the file, the
line/row/item and the field. Rows are never dropped silently: a row is either read or is an error.
Blank lines in JSON Lines (and CSV) files are not data and are skipped.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pie_embed.data.text import clean_text, value_surrogate_problem
from pie_embed.errors import DataError, MissingExtraError

__all__ = [
    "FORMATS",
    "JOIN_MODES",
    "SUFFIXES",
    "InstructionDataset",
    "InstructionPair",
    "InstructionRecord",
    "detect_format",
    "read_instructions",
    "read_pairs",
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
SUFFIXES: tuple[str, ...] = (".json", ".jsonl", ".csv", ".parquet")
JOIN_MODES: tuple[str, ...] = ("none", "newline", "space")

_MAX_LISTED = 20
_CSV_FIELD_LIMIT = 2**31 - 1
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
    """The instructions of one file, in file order."""

    records: list[InstructionRecord]
    path: Path
    format: str

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


# --------------------------------------------------------------------------------------------- helpers


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
class _Loaded:
    format: str
    rows: list[_RawRow]
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


# ------------------------------------------------------------------------------------- CSV / Parquet / HF


def _csv_rows(path: Path) -> _Loaded:
    text = _read_text(path)
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))  # huge instructions are kept
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[_RawRow] = []
    number = 0
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            if not cells:  # a blank line is not data
                continue
            if header is None:
                header = cells
                duplicates = sorted({c for c in header if header.count(c) > 1})
                if duplicates:
                    raise _error(path, f"line {start}", f"duplicate header columns: {_listing(duplicates)}")
                continue
            number += 1
            where = f"row {number} (line {start})"
            if len(cells) != len(header):
                raise _error(path, where, f"has {len(cells)} fields but the header has {len(header)}")
            rows.append(_RawRow(number, where, dict(zip(header, cells, strict=True))))
    except csv.Error as exc:
        raise _error(path, f"line {reader.line_num}", f"invalid CSV: {exc}") from None
    return _Loaded("csv", rows, columns=header or [])


def _parquet_rows(path: Path) -> _Loaded:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise _error(path, None, f"not a readable Parquet file: {exc}") from None
    rows = [_RawRow(n, f"row {n}", row) for n, row in enumerate(table.to_pylist(), start=1)]
    return _Loaded("parquet", rows, columns=list(table.column_names))


def _hf_rows(path: Path, split: str | None) -> _Loaded:
    dataset, where, label_names = _open_hf(path, split)
    rows = [_RawRow(n, f"{where}row {n}", row) for n, row in enumerate(dataset.to_list(), start=1)]
    return _Loaded("hf-dataset", rows, columns=list(dataset.column_names), label_names=label_names)


def _open_hf(path: Path, split: str | None) -> tuple[Any, str, dict[str, list[str]]]:
    """The chosen split of a saved dataset (memory-mapped, not loaded), its error prefix and label names."""
    try:
        import datasets
    except ImportError:
        raise MissingExtraError("datasets", "hf") from None
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


def _load(path: Path, *, field: str, label_field: str, split: str | None) -> _Loaded:
    check_path(path)
    if path.is_dir():
        return _hf_rows(path, split)
    if split is not None:
        raise _error(path, None, f"split {split!r} only applies to a saved Hugging Face dataset directory")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(path)
    if suffix == ".parquet":
        return _parquet_rows(path)
    text = _read_text(path)
    if suffix == ".jsonl":
        return _Loaded("jsonl", _jsonl_rows(path, text))
    kind, value = _parse_json(path, text)
    if kind == "jsonl":
        return _Loaded("jsonl", _jsonl_rows(path, text))
    fmt = _json_format(path, value)
    return _Loaded(fmt, _json_rows(path, fmt, value, field, label_field))


# --------------------------------------------------------------------------------------------- public API


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


def _validate_join(path: Path, join: str) -> None:
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


def _check_columns(path: Path, loaded: _Loaded, names: list[str]) -> None:
    if loaded.columns is None:
        return
    for name in names:
        if name not in loaded.columns:
            kind = "header columns" if loaded.format == "csv" else "columns"
            where = "header" if loaded.format == "csv" else None
            raise _error(path, where, f"missing column {name!r} ({kind}: {_listing(loaded.columns)})")


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
    _validate_join(path, join)
    loaded = _load(path, field=field, label_field=label_field, split=split)
    if not loaded.rows:
        raise _error(path, None, "no instructions found")
    if loaded.format != "json-strings":
        _check_columns(path, loaded, [field])
    if require_labels and loaded.format == "json-strings":
        raise _error(path, None, f"a list of strings has no labels (require_labels, field {label_field!r})")
    if require_labels and loaded.format != "ieb-label-dict":
        _check_columns(path, loaded, [label_field])
    spec = _FieldSpec(field, label_field, input_field, join, require_labels, loaded.format)
    class_names = (loaded.label_names or {}).get(label_field)
    records = [_record(path, raw, spec, class_names) for raw in loaded.rows]
    return InstructionDataset(records=records, path=path, format=loaded.format)


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


# ------------------------------------------------------------------------------------------- streaming


def _jsonl_stream(path: Path) -> Iterator[_RawRow]:
    try:
        stream = path.open(encoding="utf-8")
    except OSError as exc:
        raise _error(path, None, f"cannot read: {exc.strerror}") from None
    with stream:
        try:
            for number, line in enumerate(stream, start=1):
                if line.strip():
                    yield _jsonl_row(path, line, number)
        except UnicodeDecodeError as exc:
            raise _error(path, None, f"not UTF-8 text: {exc.reason}") from None


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


def iter_instructions(
    path: str | Path,
    field: str = "instruction",
    label_field: str = "label",
    input_field: str = "input",
    join: str = "none",
    split: str | None = None,
    *,
    chunk_rows: int = 10_000,
) -> Iterator[list[InstructionRecord]]:
    """:func:`read_instructions` as consecutive chunks of ``chunk_rows`` records, holding one chunk at a
    time: JSONL, CSV, Parquet and saved HF datasets are streamed (a JSON document is parsed whole)."""
    path = Path(path)
    _validate_join(path, join)
    check_path(path)
    columns: list[str] | None = None
    label_names: dict[str, list[str]] | None = None
    suffix = path.suffix.lower()
    if path.is_dir():
        dataset, where, label_names = _open_hf(path, split)
        fmt, columns, rows = "hf-dataset", list(dataset.column_names), _hf_stream(dataset, where, chunk_rows)
    elif split is not None:
        raise _error(path, None, f"split {split!r} only applies to a saved Hugging Face dataset directory")
    elif suffix == ".csv":
        fmt = "csv"
        columns, rows = _csv_stream(path)
    elif suffix == ".parquet":
        fmt = "parquet"
        columns, rows = _parquet_stream(path, chunk_rows)
    elif suffix == ".jsonl":
        fmt, rows = "jsonl", _jsonl_stream(path)
    else:
        loaded = _load(path, field=field, label_field=label_field, split=None)
        fmt, columns, rows = loaded.format, loaded.columns, iter(loaded.rows)
    if columns is not None and fmt != "json-strings":
        _check_columns(path, _Loaded(fmt, [], columns=columns), [field])
    spec = _FieldSpec(field, label_field, input_field, join, False, fmt)
    class_names = (label_names or {}).get(label_field)
    chunk: list[InstructionRecord] = []
    seen = False
    for raw in rows:
        chunk.append(_record(path, raw, spec, class_names))
        if len(chunk) >= chunk_rows:
            seen = True
            yield chunk
            chunk = []
    if chunk or not seen:
        if not chunk:
            raise _error(path, None, "no instructions found")
        yield chunk


def _int_label(value: object) -> int | None:
    """An integer label from an int, bool, integral float or digit string; None if it is none of these."""
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _iter_pairs(path: Path, loaded: _Loaded) -> Iterator[InstructionPair]:
    for raw in loaded.rows:
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
            if loaded.format == "csv" and intention == "":
                intention = None
            if intention is not None and not isinstance(intention, str):
                raise _error(path, raw.where, f"field {name!r} is {_type_name(intention)}, expected a string")
            intentions.append(intention)
        yield InstructionPair(text1, text2, label, intentions[0], intentions[1], raw.line)


def read_pairs(path: str | Path) -> list[InstructionPair]:
    """Read an IIS pair file: rows of {instruction1, instruction2, label, intention1?, intention2?}."""
    path = Path(path)
    loaded = _load(path, field="instruction1", label_field="label", split=None)
    if loaded.format in ("ieb-label-dict", "json-strings"):
        raise _error(path, None, f"expected a list of instruction pairs, found a {loaded.format} file")
    if not loaded.rows:
        raise _error(path, None, "no pairs found")
    _check_columns(path, loaded, ["instruction1", "instruction2", "label"])
    return list(_iter_pairs(path, loaded))
