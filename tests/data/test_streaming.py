"""iter_instructions: the same records as read_instructions, a chunk at a time, for every format."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pie_embed.data.readers import iter_instructions, read_instructions
from pie_embed.errors import DataError

ROWS = [
    {"instruction": f"Task {i}: sort the list.", "input": "" if i % 3 else f"[{i}, 1]", "label": f"l{i % 4}"}
    for i in range(23)
]


def write(path: Path) -> Path:
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in ROWS) + "\n")
    elif path.suffix == ".json":
        path.write_text(json.dumps(ROWS))
    elif path.suffix == ".csv":
        with path.open("w", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=list(ROWS[0]))
            writer.writeheader()
            writer.writerows(ROWS)
    elif path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(ROWS), path, row_group_size=7)
    else:
        import datasets

        datasets.Dataset.from_list(ROWS).save_to_disk(str(path))
    return path


@pytest.mark.parametrize("name", ["data.jsonl", "data.json", "data.csv", "data.parquet", "data_hf"])
@pytest.mark.parametrize("chunk_rows", [5, 23, 100])
def test_chunks_equal_the_whole_read(tmp_path: Path, name: str, chunk_rows: int) -> None:
    path = write(tmp_path / name)
    whole = read_instructions(path, join="newline")
    chunks = list(iter_instructions(path, join="newline", chunk_rows=chunk_rows))
    assert [len(c) for c in chunks[:-1]] == [chunk_rows] * (len(chunks) - 1)
    streamed = [record for chunk in chunks for record in chunk]
    assert [(r.text, r.label, r.row, r.line) for r in streamed] == [
        (r.text, r.label, r.row, r.line) for r in whole.records
    ]


def test_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"instruction": "ok"}\n{"instruction": "ok"}\n{"instruction": \n')
    with pytest.raises(DataError, match=r"bad.jsonl: line 3: invalid JSON"):
        list(iter_instructions(path, chunk_rows=1))
    missing = tmp_path / "missing.jsonl"
    missing.write_text('{"instruction": "ok"}\n{"text": "no instruction"}\n')
    with pytest.raises(DataError, match=r"missing.jsonl: line 2: missing field 'instruction'"):
        list(iter_instructions(missing))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(DataError, match="no instructions found"):
        list(iter_instructions(empty))
    csv_path = tmp_path / "no_column.csv"
    csv_path.write_text("text\nhello\n")
    with pytest.raises(DataError, match="missing column 'instruction'"):
        list(iter_instructions(csv_path))
