"""InstructionSource: a file and its reader settings as one value, read whole, in chunks or by row."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from pie_embed.data.source import InstructionSource, as_source
from pie_embed.errors import DataError

ROWS = [
    {"instruction": f"Translate sentence {i}.", "input": f"text {i}" if i % 2 else "", "label": f"t{i % 3}"}
    for i in range(7)
]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    return path


def test_read_iter_rows_at_and_count_agree(data: Path) -> None:
    source = InstructionSource(data, join="newline")
    whole = source.read()
    assert source.count() == len(whole) == 7
    assert whole.texts[1] == "Translate sentence 1.\ntext 1" and whole.texts[0] == "Translate sentence 0."
    chunks = list(source.iter(chunk_rows=3))
    assert [len(c) for c in chunks] == [3, 3, 1]
    assert [r.text for c in chunks for r in c] == whole.texts
    picked = source.rows_at([5, 1])
    assert picked.row_numbers == [1, 5] and picked.texts == [whole.texts[1], whole.texts[5]]
    assert whole.labels[:3] == ["t0", "t1", "t2"]


def test_fingerprint_holds_what_decides_the_texts(data: Path) -> None:
    base = InstructionSource(data)
    assert base.fingerprint() == {
        "input": str(data.resolve()),
        "input_bytes": data.stat().st_size,
        "field": "instruction",
        "input_field": "input",
        "join": "none",
        "split": None,
    }
    assert base.replace(label_field="other").fingerprint() == base.fingerprint()  # labels change no text
    assert base.replace(join="space").fingerprint() != base.fingerprint()


def test_bad_settings_and_paths_are_one_line_errors(data: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="invalid join 'sideways'"):
        InstructionSource(data, join="sideways")
    with pytest.raises(DataError, match="missing.jsonl: file not found"):
        InstructionSource(tmp_path / "missing.jsonl").check()
    with pytest.raises(DataError, match="missing field 'prompt'"):
        InstructionSource(data, field="prompt").read()


def test_reader_keywords_next_to_a_path_still_work_with_a_warning(data: Path) -> None:
    with pytest.warns(DeprecationWarning, match=r"select_file\(\.\.\., join=\) is deprecated"):
        source = as_source(data, {"join": "newline"}, caller="select_file")
    assert source == InstructionSource(data, join="newline")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        given = InstructionSource(data, field="instruction")
        assert as_source(given, {}, caller="x") is given and as_source(str(data), {}, caller="x").path == data
