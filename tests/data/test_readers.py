"""Tests for pie_embed.data.readers: every format, join modes, labels, pairs and each error message."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pie_embed.data import InstructionDataset, InstructionPair, detect_format, read_instructions, read_pairs
from pie_embed.errors import DataError

SHARED_IEB = Path(__file__).parents[2].parent / "shared" / "ieb"

ROWS: list[dict[str, Any]] = [
    {
        "instruction": "Translate the sentence into French.",
        "input": "Good morning.",
        "label": "translate|sentence",
    },
    {"instruction": "Summarize the article.", "input": "", "label": "summarize|article"},
    {"instruction": "Write a haiku about autumn.", "label": "write|haiku"},
    {"instruction": "Sort the numbers.", "input": "3, 1, 2", "label": "sort|number"},
]


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, indent=2), encoding="utf-8")
    return path


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def data_error(call: Any, *parts: str) -> str:
    """Run ``call``, expect a one-line DataError containing every part; return the message."""
    with pytest.raises(DataError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message and "\r" not in message, message
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"
    return message


# --------------------------------------------------------------------------------------------- formats


def test_jsonl_reads_texts_labels_rows_and_lines(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "data.jsonl", ROWS)
    dataset = read_instructions(path)
    assert isinstance(dataset, InstructionDataset)
    assert dataset.format == "jsonl" and dataset.path == path and len(dataset) == 4
    assert dataset.texts == [r["instruction"] for r in ROWS]
    assert dataset.labels == [r["label"] for r in ROWS]
    assert [r.row for r in dataset.records] == ROWS
    assert [r.line for r in dataset.records] == [1, 2, 3, 4]
    assert detect_format(path) == "jsonl"


def test_jsonl_blank_lines_are_skipped_and_lines_are_physical(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text(
        "\n" + json.dumps(ROWS[0]) + "\n   \n\n" + json.dumps(ROWS[1]) + "\r\n" + json.dumps(ROWS[2]),
        encoding="utf-8",
    )
    dataset = read_instructions(path)
    assert dataset.texts == [r["instruction"] for r in ROWS[:3]]
    assert [r.line for r in dataset.records] == [2, 5, 6]


def test_json_list(tmp_path: Path) -> None:
    path = write_json(tmp_path / "data.json", ROWS)
    dataset = read_instructions(path)
    assert dataset.format == "json-list" == detect_format(path)
    assert dataset.texts == [r["instruction"] for r in ROWS]
    assert [r.line for r in dataset.records] == [1, 2, 3, 4]
    assert [r.row for r in dataset.records] == ROWS


def test_json_strings_ignore_field_and_have_no_labels(tmp_path: Path) -> None:
    path = write_json(tmp_path / "unsup.json", ["first instruction", "second instruction"])
    dataset = read_instructions(path, field="ignored")
    assert dataset.format == "json-strings" == detect_format(path)
    assert dataset.texts == ["first instruction", "second instruction"]
    assert dataset.labels == [None, None]
    assert [r.line for r in dataset.records] == [1, 2]


def ieb_label_dict() -> dict[str, Any]:
    return {
        "outline|step": {
            "number": 2,
            "samples": [
                {
                    "category": ["outline", "step"],
                    "instruction": "Outline the steps.",
                    "input": "",
                    "output": "1.",
                },
                {
                    "category": ["outline", "step"],
                    "instruction": "List the steps.",
                    "input": "x",
                    "output": "2.",
                },
            ],
        },
        "write|poem": {
            "number": 1,
            "samples": [
                {"category": ["write", "poem"], "instruction": "Write a poem.", "input": "", "output": "3"}
            ],
        },
    }


def test_ieb_label_dict_labels_are_keys_and_rows_keep_category(tmp_path: Path) -> None:
    path = write_json(tmp_path / "eft.json", ieb_label_dict())
    dataset = read_instructions(path)
    assert dataset.format == "ieb-label-dict" == detect_format(path)
    assert dataset.texts == ["Outline the steps.", "List the steps.", "Write a poem."]
    assert dataset.labels == ["outline|step", "outline|step", "write|poem"]
    assert [r.line for r in dataset.records] == [1, 2, 3]
    assert dataset.records[2].row["category"] == ["write", "poem"]
    assert dataset.records[2].row["output"] == "3"
    assert dataset.records[2].row["label"] == "write|poem"


def test_json_file_holding_json_lines_is_read_as_jsonl(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "actually_lines.json", ROWS)
    dataset = read_instructions(path)
    assert dataset.format == "jsonl" == detect_format(path)
    assert dataset.texts == [r["instruction"] for r in ROWS]


def test_csv(tmp_path: Path) -> None:
    header = ["instruction", "input", "label"]
    path = write_csv(
        tmp_path / "data.csv", header, [[r["instruction"], r.get("input", ""), r["label"]] for r in ROWS]
    )
    dataset = read_instructions(path, join="newline")
    assert dataset.format == "csv" == detect_format(path)
    assert dataset.texts[0] == "Translate the sentence into French.\nGood morning."
    assert dataset.texts[1] == "Summarize the article."
    assert dataset.labels == [r["label"] for r in ROWS]
    assert dataset.records[0].row == {
        "instruction": ROWS[0]["instruction"],
        "input": "Good morning.",
        "label": ROWS[0]["label"],
    }
    assert [r.line for r in dataset.records] == [1, 2, 3, 4]


def test_csv_multiline_cell_bom_blank_lines_and_empty_label(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text('\ufeffinstruction,label\n"Line one\nline two",a\n\nSecond,\n', encoding="utf-8")
    dataset = read_instructions(path)
    assert dataset.texts == ["Line one\nline two", "Second"]
    assert dataset.labels == ["a", None]


def test_csv_without_label_column_gives_no_labels(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "data.csv", ["instruction"], [["one"], ["two"]])
    assert read_instructions(path).labels == [None, None]


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    rows = [{**r, "input": r.get("input"), "score": i} for i, r in enumerate(ROWS)]
    pq.write_table(pa.Table.from_pylist(rows), path)
    dataset = read_instructions(path, join="space")
    assert dataset.format == "parquet" == detect_format(path)
    assert dataset.texts[0] == "Translate the sentence into French. Good morning."
    assert dataset.texts[2] == "Write a haiku about autumn."  # None input
    assert [r.row for r in dataset.records] == rows
    assert [r.line for r in dataset.records] == [1, 2, 3, 4]


def test_saved_hf_dataset(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    path = tmp_path / "saved"
    rows = [{"instruction": r["instruction"], "label": r["label"]} for r in ROWS]
    datasets.Dataset.from_list(rows).save_to_disk(str(path))
    dataset = read_instructions(path)
    assert dataset.format == "hf-dataset" == detect_format(path)
    assert dataset.texts == [r["instruction"] for r in ROWS]
    assert dataset.labels == [r["label"] for r in ROWS]
    assert [r.row for r in dataset.records] == rows


def test_saved_hf_dataset_dict_uses_train_or_split(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    path = tmp_path / "saved_dict"
    train = datasets.Dataset.from_list([{"instruction": "train one"}, {"instruction": "train two"}])
    test = datasets.Dataset.from_list([{"instruction": "test one"}])
    datasets.DatasetDict({"train": train, "test": test}).save_to_disk(str(path))
    assert detect_format(path) == "hf-dataset"
    assert read_instructions(path).texts == ["train one", "train two"]
    assert read_instructions(path, split="test").texts == ["test one"]
    data_error(
        lambda: read_instructions(path, split="validation"), "saved_dict", "'validation'", "'train'", "'test'"
    )


def test_saved_hf_dataset_dict_without_train_lists_splits(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    path = tmp_path / "no_train"
    dev = datasets.Dataset.from_list([{"instruction": "dev one"}])
    datasets.DatasetDict({"dev": dev, "test": dev}).save_to_disk(str(path))
    data_error(lambda: read_instructions(path), "no_train", "'dev'", "'test'", "split")
    assert read_instructions(path, split="dev").texts == ["dev one"]


def test_saved_hf_dataset_class_label_gives_names(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    path = tmp_path / "classlabel"
    features = datasets.Features(
        {"instruction": datasets.Value("string"), "label": datasets.ClassLabel(names=["math", "code"])}
    )
    rows = [{"instruction": "Add 2 and 2.", "label": 0}, {"instruction": "Write a loop.", "label": 1}]
    datasets.Dataset.from_list(rows, features=features).save_to_disk(str(path))
    assert read_instructions(path).labels == ["math", "code"]


def test_saved_hf_dataset_missing_column(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    path = tmp_path / "saved"
    datasets.Dataset.from_list([{"prompt": "x"}]).save_to_disk(str(path))
    data_error(lambda: read_instructions(path), "saved", "'instruction'", "'prompt'")


def test_order_is_kept(tmp_path: Path) -> None:
    rows = [{"instruction": f"instruction number {n}"} for n in (7, 3, 9, 1, 5, 5, 0, 8)]
    for name, writer in (("o.jsonl", write_jsonl), ("o.json", write_json)):
        assert read_instructions(writer(tmp_path / name, rows)).texts == [r["instruction"] for r in rows]


def test_huge_instruction_is_kept(tmp_path: Path) -> None:
    huge = "word " * 100_000
    assert read_instructions(write_jsonl(tmp_path / "h.jsonl", [{"instruction": huge}])).texts == [huge]
    path = write_csv(tmp_path / "h.csv", ["instruction"], [[huge]])
    assert read_instructions(path).texts == [huge]


def test_other_field_names(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"prompt": "Do it.", "context": "now", "task": 3}])
    dataset = read_instructions(path, field="prompt", input_field="context", label_field="task", join="space")
    assert dataset.texts == ["Do it. now"]
    assert dataset.labels == ["3"]


# ------------------------------------------------------------------------------------- join and labels


@pytest.mark.parametrize(
    ("join", "expected"),
    [
        ("none", "Sort the numbers."),
        ("newline", "Sort the numbers.\n3, 1, 2"),
        ("space", "Sort the numbers. 3, 1, 2"),
        ("{instruction}\n\nInput: {input}", "Sort the numbers.\n\nInput: 3, 1, 2"),
        ("[{input}] {instruction}", "[3, 1, 2] Sort the numbers."),
    ],
)
def test_join_modes(tmp_path: Path, join: str, expected: str) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [ROWS[3]])
    assert read_instructions(path, join=join).texts == [expected]


@pytest.mark.parametrize("join", ["newline", "space", "{instruction}\n\nInput: {input}"])
def test_join_without_input_gives_instruction_alone(tmp_path: Path, join: str) -> None:
    rows = [{"instruction": "A."}, {"instruction": "B.", "input": None}, {"instruction": "C.", "input": ""}]
    rows.append({"instruction": "D.", "input": "  "})
    assert read_instructions(write_jsonl(tmp_path / "d.jsonl", rows), join=join).texts == [
        "A.",
        "B.",
        "C.",
        "D.",
    ]


def test_join_template_does_not_expand_placeholders_inside_values(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "d.jsonl", [{"instruction": "Fill {input} in {x}.", "input": "{instruction}"}]
    )
    assert read_instructions(path, join="Q: {instruction} I: {input}").texts == [
        "Q: Fill {input} in {x}. I: {instruction}"
    ]


@pytest.mark.parametrize("join", ["tab", "", "{instruction} only", "{input}"])
def test_invalid_join(tmp_path: Path, join: str) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", ROWS)
    data_error(lambda: read_instructions(path, join=join), "d.jsonl", "join", "newline")


def test_join_input_not_a_string(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [ROWS[0], {"instruction": "Add.", "input": 5}])
    data_error(lambda: read_instructions(path, join="newline"), "d.jsonl", "line 2", "'input'", "int")
    assert read_instructions(path).texts[1] == "Add."  # input is not looked at without join


def test_labels_are_strings_or_none(tmp_path: Path) -> None:
    rows = [{"instruction": "a", "label": 3}, {"instruction": "b"}, {"instruction": "c", "label": None}]
    assert read_instructions(write_jsonl(tmp_path / "d.jsonl", rows)).labels == ["3", None, None]


def test_require_labels(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"instruction": "a", "label": "x"}, {"instruction": "b"}])
    data_error(lambda: read_instructions(path, require_labels=True), "d.jsonl", "line 2", "'label'")
    path = write_jsonl(tmp_path / "n.jsonl", [{"instruction": "a", "label": None}])
    data_error(lambda: read_instructions(path, require_labels=True), "n.jsonl", "line 1", "'label'", "null")
    path = write_csv(tmp_path / "d.csv", ["instruction"], [["a"]])
    data_error(
        lambda: read_instructions(path, require_labels=True), "d.csv", "header", "'label'", "'instruction'"
    )
    path = write_csv(tmp_path / "e.csv", ["instruction", "label"], [["a", "x"], ["b", ""]])
    data_error(lambda: read_instructions(path, require_labels=True), "e.csv", "row 2", "'label'", "empty")
    path = write_json(tmp_path / "s.json", ["a"])
    data_error(lambda: read_instructions(path, require_labels=True), "s.json", "'label'")
    labelled = write_json(tmp_path / "eft.json", ieb_label_dict())
    assert len(read_instructions(labelled, require_labels=True)) == 3


# --------------------------------------------------------------------------------------------- errors


def test_error_file_not_found(tmp_path: Path) -> None:
    data_error(lambda: read_instructions(tmp_path / "absent.jsonl"), "absent.jsonl", "not found")
    data_error(lambda: detect_format(tmp_path / "absent.json"), "absent.json", "not found")


def test_error_directory_not_a_dataset(tmp_path: Path) -> None:
    folder = tmp_path / "plain_folder"
    folder.mkdir()
    data_error(lambda: read_instructions(folder), "plain_folder", "directory", "Hugging Face")


def test_error_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_text("hello\n", encoding="utf-8")
    message = data_error(lambda: read_instructions(path), "data.txt", "'.txt'")
    for suffix in (".json", ".jsonl", ".csv", ".parquet"):
        assert suffix in message


# a file written as these bytes, and what its one-line error must name
BAD_FILES = [
    (
        "bad.json",
        '[\n  {"instruction": "a"},\n  {"instruction": "b",}\n]\n',
        ["line 3", "column 23", "invalid JSON"],
    ),
    ("bad.jsonl", '{"instruction": "a"}\n\n{"instruction": "b"\n', ["line 3", "invalid JSON"]),
    ("d.csv", "instruction,label\na,x\nb,y,extra\n", ["row 2", "line 3", "3 fields"]),
    ("d.csv", "instruction,instruction\na,b\n", ["duplicate", "'instruction'"]),
    ("fake.parquet", "not parquet", ["Parquet"]),
]


@pytest.mark.parametrize(
    ("name", "content", "parts"), BAD_FILES, ids=[" ".join(case[2]) for case in BAD_FILES]
)
def test_error_of_a_malformed_file_names_where(
    tmp_path: Path, name: str, content: str, parts: list[str]
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    data_error(lambda: read_instructions(path), name, *parts)


def test_error_jsonl_line_not_an_object(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "list.jsonl", [{"instruction": "a"}, ["instruction", "b"]])
    data_error(lambda: read_instructions(path), "list.jsonl", "line 2", "object", "list")


def test_error_missing_text_field_lists_available_fields(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [ROWS[0], {"prompt": "x", "answer": "y"}])
    data_error(lambda: read_instructions(path), "d.jsonl", "line 2", "'instruction'", "'prompt'", "'answer'")
    path = write_json(tmp_path / "d.json", [ROWS[0], ROWS[1], {"prompt": "x"}])
    data_error(lambda: read_instructions(path), "d.json", "item 3", "'instruction'", "'prompt'")


def test_error_missing_field_in_label_dict(tmp_path: Path) -> None:
    value = ieb_label_dict()
    del value["write|poem"]["samples"][0]["instruction"]
    path = write_json(tmp_path / "eft.json", value)
    data_error(
        lambda: read_instructions(path), "eft.json", "item 3", "write|poem", "'instruction'", "'category'"
    )


def test_error_label_dict_group_without_samples(tmp_path: Path) -> None:
    value = ieb_label_dict()
    value["bad|group"] = {"number": 0}
    data_error(
        lambda: read_instructions(write_json(tmp_path / "eft.json", value)),
        "eft.json",
        "bad|group",
        "samples",
    )


def test_error_text_not_a_string(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [ROWS[0], {"instruction": ["a", "b"]}])
    data_error(lambda: read_instructions(path), "d.jsonl", "line 2", "'instruction'", "list", "string")
    path = write_jsonl(tmp_path / "n.jsonl", [{"instruction": None}])
    data_error(lambda: read_instructions(path), "n.jsonl", "line 1", "'instruction'", "null")


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_error_empty_instruction(tmp_path: Path, text: str) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [ROWS[0], ROWS[1], {"instruction": text}])
    data_error(lambda: read_instructions(path), "d.jsonl", "line 3", "'instruction'", "empty instruction")
    path = write_json(tmp_path / "s.json", ["fine", text])
    data_error(lambda: read_instructions(path), "s.json", "item 2", "empty instruction")


def test_error_empty_instruction_in_csv(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", ["instruction", "label"], [["a", "x"], ["", "y"]])
    data_error(
        lambda: read_instructions(path), "d.csv", "row 2", "line 3", "'instruction'", "empty instruction"
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("e.jsonl", ""),
        ("b.jsonl", "\n\n  \n"),
        ("e.json", "[]"),
        ("d.json", "{}"),
        ("h.csv", "instruction\n"),
    ],
)
def test_error_no_rows(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    data_error(lambda: read_instructions(path), name, "no instructions found")


def test_error_no_rows_parquet(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"instruction": pa.array([], type=pa.string())}), path)
    data_error(lambda: read_instructions(path), "empty.parquet", "no instructions found")


def test_error_csv_missing_column_lists_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", ["prompt", "category"], [["a", "b"]])
    data_error(lambda: read_instructions(path), "d.csv", "header", "'instruction'", "'prompt'", "'category'")


def test_error_parquet_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"prompt": ["a"], "answer": ["b"]}), path)
    data_error(lambda: read_instructions(path), "d.parquet", "'instruction'", "'prompt'", "'answer'")


def test_error_parquet_null_text(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"instruction": ["a", None]}), path)
    data_error(lambda: read_instructions(path), "d.parquet", "row 2", "'instruction'", "null")


def test_error_json_list_item_not_an_object(tmp_path: Path) -> None:
    path = write_json(tmp_path / "d.json", [ROWS[0], "stray string"])
    data_error(lambda: read_instructions(path), "d.json", "item 2", "object", "str")
    path = write_json(tmp_path / "s.json", ["a", {"instruction": "b"}])
    data_error(lambda: read_instructions(path), "s.json", "item 2", "string", "dict")


def test_error_unsupported_json_shape(tmp_path: Path) -> None:
    path = write_json(tmp_path / "obj.json", {"instruction": "a"})
    data_error(lambda: read_instructions(path), "obj.json", "unsupported JSON shape")
    path = write_json(tmp_path / "num.json", [1, 2])
    data_error(lambda: read_instructions(path), "num.json", "item 1", "int")


def test_error_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.jsonl"
    path.write_bytes(b'{"instruction": "ok"}\n{"instruction": "caf\xe9"}\n')
    data_error(lambda: read_instructions(path), "latin.jsonl", "line 2", "UTF-8")


def test_error_split_for_a_file(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", ROWS)
    data_error(lambda: read_instructions(path, split="train"), "d.jsonl", "split")


# --------------------------------------------------------------------------------------------- pairs


PAIRS = [
    {
        "instruction1": "Describe X.",
        "intention1": "describe|x",
        "instruction2": "Describe Y.",
        "intention2": "describe|y",
        "label": 1,
    },
    {"instruction1": "Add numbers.", "instruction2": "Write a poem.", "label": 0},
]


def test_read_pairs_json_and_jsonl(tmp_path: Path) -> None:
    expected = [
        InstructionPair("Describe X.", "Describe Y.", 1, "describe|x", "describe|y", 1),
        InstructionPair("Add numbers.", "Write a poem.", 0, None, None, 2),
    ]
    assert read_pairs(write_json(tmp_path / "p.json", PAIRS)) == expected
    assert read_pairs(write_jsonl(tmp_path / "p.jsonl", PAIRS)) == expected


def test_read_pairs_errors(tmp_path: Path) -> None:
    path = write_json(tmp_path / "p.json", [PAIRS[0], {"instruction1": "a", "label": 1}])
    data_error(lambda: read_pairs(path), "p.json", "item 2", "'instruction2'", "'instruction1'")
    path = write_jsonl(
        tmp_path / "p.jsonl", [PAIRS[0], {"instruction1": "a", "instruction2": "b", "label": "yes"}]
    )
    data_error(lambda: read_pairs(path), "p.jsonl", "line 2", "'label'")
    path = write_jsonl(tmp_path / "n.jsonl", [{"instruction1": "a", "instruction2": "b"}])
    data_error(lambda: read_pairs(path), "n.jsonl", "line 1", "'label'")
    path = write_jsonl(tmp_path / "e.jsonl", [{"instruction1": "a", "instruction2": " ", "label": 0}])
    data_error(lambda: read_pairs(path), "e.jsonl", "line 1", "'instruction2'", "empty instruction")
    path = write_json(tmp_path / "z.json", [])
    data_error(lambda: read_pairs(path), "z.json", "no pairs found")
    path = write_json(tmp_path / "s.json", ["a", "b"])
    data_error(lambda: read_pairs(path), "s.json", "pairs")


# --------------------------------------------------------------------------------------------- real IEB files


@pytest.mark.skipif(not SHARED_IEB.is_dir(), reason="../shared/ieb is not present")
def test_real_ieb_counts() -> None:
    eft = read_instructions(SHARED_IEB / "eft_test.json", require_labels=True)
    assert eft.format == "ieb-label-dict"
    assert len(eft) == 3291 and len(set(eft.labels)) == 145
    pairs = read_pairs(SHARED_IEB / "intention_similarity_test.json")
    assert len(pairs) == 2496 and sum(p.label == 1 for p in pairs) == 1504
    unsup = read_instructions(SHARED_IEB / "eft_train_unsup.json")
    assert unsup.format == "json-strings" and len(unsup) == 20814
    ift = read_instructions(SHARED_IEB / "ift_test_alpaca_style.json", require_labels=True)
    assert ift.format == "json-list" and len(ift) == 1336
    assert set(ift.records[0].row) >= {"instruction", "input", "output", "category", "label"}


def test_count_rows_without_reading_records(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pie_embed.data.readers import count_rows

    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text('{"instruction": "a"}\n\n{"instruction": "b"}\n{"instruction": "c"}\n')
    assert count_rows(jsonl) == 3
    pq.write_table(pa.table({"instruction": ["x", "y"]}), tmp_path / "b.parquet")
    assert count_rows(tmp_path / "b.parquet") == 2
    (tmp_path / "c.json").write_text('["x", "y", "z", "w"]')
    assert count_rows(tmp_path / "c.json") == 4
