"""Writing chosen rows of a dataset back in the dataset's own format, every field kept."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from pie_embed.data.atomic import atomic_directory, atomic_write, write_json
from pie_embed.data.readers import InstructionDataset, InstructionRecord, detect_format
from pie_embed.data.records import RECORD_SUFFIXES, jsonl_line, write_parquet_table, write_records
from pie_embed.data.source import InstructionSource
from pie_embed.errors import DataError

# the suffix a subset gets by default, per input format
FORMAT_SUFFIX = {
    "jsonl": ".jsonl",
    "json-list": ".json",
    "json-strings": ".json",
    "ieb-label-dict": ".json",
    "csv": ".csv",
    "parquet": ".parquet",
    "hf-dataset": "",
}


def default_subset_path(dataset: InstructionDataset | InstructionSource, tag: str) -> Path:
    """``<stem>.<tag><suffix>`` next to the input (a folder for a saved HF dataset)."""
    path = dataset.path
    fmt = dataset.format if isinstance(dataset, InstructionDataset) else detect_format(path)
    suffix = FORMAT_SUFFIX.get(fmt, path.suffix)
    stem = path.name if fmt == "hf-dataset" else path.stem
    return path.with_name(f"{stem}.{tag}{suffix}")


def write_source_subset(source: InstructionSource, rows: Sequence[int], output: str | Path) -> Path:
    """:func:`write_subset` of the file rows ``rows`` (ascending) of ``source``, for files too large to
    hold: JSON Lines into a ``.jsonl`` output is streamed (one chunk of records held at a time); other
    formats read the chosen rows back first."""
    output = Path(output)
    wanted = np.asarray(rows, np.int64)
    if len(wanted) and (wanted[0] < 0 or (np.diff(wanted) <= 0).any()):
        raise DataError(f"{source.path}: rows to write must be distinct row numbers in ascending order")
    if detect_format(source.path) != "jsonl" or output.suffix.lower() != ".jsonl":
        return write_subset(source.rows_at(rows), rows, output, field=source.field, split=source.split)
    keep = np.zeros(int(wanted[-1]) + 1 if len(wanted) else 0, bool)
    keep[wanted] = True

    def write(stream: IO[bytes]) -> None:
        row = written = 0
        for chunk in source.iter():
            lines = []
            for record in chunk:
                if row < len(keep) and keep[row]:
                    lines.append(jsonl_line(record.row))
                row += 1
            stream.write("".join(lines).encode("utf-8"))
            written += len(lines)
        if written != len(wanted):  # raised inside the write: the short file is discarded
            last = int(wanted[-1])
            raise DataError(f"{source.path}: row index {last} out of range (the file has {row} rows)")

    atomic_write(output, write)
    return output


def _ieb_label_dict(records: Sequence[InstructionRecord], label_field: str) -> dict[str, Any]:
    groups: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for record in records:
        # the reader adds the group's label to each sample; take it off again
        sample = {k: v for k, v in record.row.items() if not (k == label_field and v == record.label)}
        groups.setdefault(str(record.label), {"samples": []})["samples"].append(sample)
    return groups


def write_subset(
    dataset: InstructionDataset,
    indices: Sequence[int],
    output: str | Path,
    *,
    field: str = "instruction",
    label_field: str = "label",
    split: str | None = None,
) -> Path:
    """Write the rows ``indices`` (file row numbers, in that order) of ``dataset`` to ``output`` atomically.

    The output keeps the input's format where its suffix matches it (an IEB label dict stays a label
    dict, a list of strings stays one, Parquet and saved HF datasets keep their schema); another
    suffix of .jsonl/.json/.csv/.parquet writes plain rows with every field.
    """
    output = Path(output)
    if dataset.row_numbers is None:
        for index in indices:
            if not 0 <= index < len(dataset):
                raise DataError(f"{dataset.path}: row index {index} out of range (0..{len(dataset) - 1})")
    records = [dataset.record_at(index) for index in indices]
    fmt, suffix = dataset.format, output.suffix.lower()
    if fmt == "hf-dataset" and suffix not in RECORD_SUFFIXES:
        _write_hf_subset(dataset, indices, output, split)
    elif fmt == "parquet" and suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pq.read_table(dataset.path).take(pa.array(list(indices), pa.int64()))
        atomic_write(output, lambda stream: write_parquet_table(table, stream))
    elif fmt == "ieb-label-dict" and suffix == ".json":
        write_json(output, _ieb_label_dict(records, label_field))
    elif fmt == "json-strings" and suffix == ".json":
        write_json(output, [record.row[field] for record in records])
    else:
        write_records(output, [record.row for record in records])
    return output


def _write_hf_subset(
    dataset: InstructionDataset, indices: Sequence[int], output: Path, split: str | None = None
) -> None:
    from datasets import load_from_disk

    source = load_from_disk(str(dataset.path))
    if split is not None and not hasattr(source, "select") and split in source:
        source = source[split]
    if not hasattr(source, "select"):
        raise DataError(f"{dataset.path}: a DatasetDict; read one --split and write the subset as .jsonl")
    with atomic_directory(output) as temp:
        source.select(list(indices)).save_to_disk(str(temp))
