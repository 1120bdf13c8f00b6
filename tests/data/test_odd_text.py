"""Odd text through every reader: each row is read (control characters made spaces) or refused with one
line naming the file, the row and the field; nothing else ever comes out."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pie_embed.data import read_instructions, read_pairs
from pie_embed.data.readers import iter_instructions
from pie_embed.data.text import clean_text, surrogate_problem
from pie_embed.errors import DataError

# Characters that have broken tokenizers, writers or terminals somewhere.
ODD = [
    "\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9f", "\t", "\n", "\r", "\u2028", "\u200f", "\u202e", "\ufeff",
    "\ud800", "\udfff", "\U0001f600", "\u0301", "\u4e2d", "\ufffd", " ", "a", "é",
]  # fmt: skip
# As a JSON file gives it back: an adjacent high+low surrogate pair ("\ud800\udfff") decodes to one valid
# character (U+103FF), so every test starts from the text a reader really sees; lone ones stay lone.
odd_text = (
    st.lists(st.one_of(st.sampled_from(ODD), st.text(max_size=5)), max_size=12)
    .map("".join)
    .map(lambda text: json.loads(json.dumps(text)))
)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def expected(text: str) -> str | None:
    """What the reader must give for ``text``: the cleaned text, or None where it must refuse the row."""
    if surrogate_problem(text) is not None or not clean_text(text).strip():
        return None
    return clean_text(text)


def check(read, path: Path, text: str, where: str, field: str = "instruction") -> None:
    """``read()`` gives exactly the expected text, or a one-line DataError naming path, row and field."""
    want = expected(text)
    try:
        got = read()
    except DataError as exc:
        message = str(exc)
        assert want is None, f"refused a good row: {message}"
        assert "\n" not in message and str(path) in message and where in message and repr(field) in message
        return
    assert want is not None, f"read a row that should have been refused: {text!r}"
    assert got == want


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")  # ensure_ascii: lone surrogates as \ud800 escapes
    return path


@SETTINGS
@given(text=odd_text)
def test_jsonl_and_its_stream(tmp_path: Path, text: str) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"instruction": "Sort it."}) + "\n" + json.dumps({"instruction": text}) + "\n")
    check(lambda: read_instructions(path).texts[1], path, text, "line 2")
    check(lambda: [r.text for chunk in iter_instructions(path) for r in chunk][1], path, text, "line 2")


@SETTINGS
@given(text=odd_text)
def test_json_list_strings_and_label_dict(tmp_path: Path, text: str) -> None:
    rows = write_json(tmp_path / "rows.json", [{"instruction": text, "label": "x"}])
    check(lambda: read_instructions(rows).texts[0], rows, text, "item 1")
    strings = write_json(tmp_path / "strings.json", [text])
    check(lambda: read_instructions(strings).texts[0], strings, text, "item 1")
    ieb = write_json(tmp_path / "ieb.json", {"x|y": {"samples": [{"instruction": text}]}})
    check(lambda: read_instructions(ieb).texts[0], ieb, text, "item 1")


@SETTINGS
@given(text=odd_text)
def test_input_field_and_other_fields(tmp_path: Path, text: str) -> None:
    """An odd input is cleaned where it joins the instruction; a lone surrogate in any other field is
    refused too, since the row could not be written back out."""
    path = write_json(tmp_path / "rows.json", [{"instruction": "Sort it.", "input": text, "meta": [text]}])
    if surrogate_problem(text) is not None:
        refused = r"item 1: field '(input|meta)' is not valid Unicode: a lone surrogate"
        with pytest.raises(DataError, match=refused):
            read_instructions(path, join="newline")
        return
    record = read_instructions(path, join="newline").records[0]
    cleaned = clean_text(text)
    assert record.text == ("Sort it." if not cleaned.strip() else f"Sort it.\n{cleaned}")
    assert record.row["input"] == text  # the row itself is kept as it was


@SETTINGS
@given(text=odd_text)
def test_csv(tmp_path: Path, text: str) -> None:
    path = tmp_path / "rows.csv"
    if surrogate_problem(text) is not None:  # a UTF-8 file cannot hold one: its bytes are invalid
        path.write_bytes(f"instruction\n{text}\n".encode("utf-8", "surrogatepass"))
        with pytest.raises(DataError, match=r"rows\.csv.*(UTF-8|invalid CSV)"):
            read_instructions(path)
        return
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows([["instruction"], ["Sort it."], [text]])
    check(lambda: read_instructions(path).texts[1], path, text, "row 2")
    check(lambda: [r.text for chunk in iter_instructions(path) for r in chunk][1], path, text, "row 2")


@SETTINGS
@given(text=odd_text.filter(lambda t: surrogate_problem(t) is None))  # Arrow holds valid UTF-8 only
def test_parquet(tmp_path: Path, text: str) -> None:
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"instruction": ["Sort it.", text]}), path)
    check(lambda: read_instructions(path).texts[1], path, text, "row 2")
    check(lambda: [r.text for chunk in iter_instructions(path) for r in chunk][1], path, text, "row 2")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=odd_text.filter(lambda t: surrogate_problem(t) is None))
def test_saved_hf_dataset(tmp_path: Path, text: str) -> None:
    datasets = pytest.importorskip("datasets")
    path = tmp_path / "saved"
    datasets.Dataset.from_dict({"instruction": ["Sort it.", text]}).save_to_disk(str(path))
    check(lambda: read_instructions(path).texts[1], path, text, "row 2")


@SETTINGS
@given(text=odd_text)
def test_iis_pairs(tmp_path: Path, text: str) -> None:
    path = write_json(
        tmp_path / "pairs.json", [{"instruction1": "Sort it.", "instruction2": text, "label": 1}]
    )
    check(lambda: read_pairs(path)[0].text2, path, text, "item 1", field="instruction2")


def test_a_one_megabyte_instruction_is_read_whole(tmp_path: Path) -> None:
    text = "Summarize the following text. " + "word " * 200_000
    path = write_json(tmp_path / "big.json", [{"instruction": text}])
    assert read_instructions(path).texts == [text]


def test_an_escaped_surrogate_pair_is_one_valid_character(tmp_path: Path) -> None:
    path = tmp_path / "pair.jsonl"
    path.write_text('{"instruction": "Sort \\ud800\\udfff it."}\n{"instruction": "Sort \\ud800 it."}\n')
    with pytest.raises(
        DataError, match=r"line 2: field 'instruction' is not valid Unicode: a lone surrogate U\+D800"
    ):
        read_instructions(path)
    path.write_text('{"instruction": "Sort \\ud800\\udfff it."}\n')
    assert read_instructions(path).texts == ["Sort \U000103ff it."]
