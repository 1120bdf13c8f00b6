"""The fuzz suite: generated files (malformed lines, wrong types, missing fields, empty text and files,
huge rows, odd Unicode, a BOM, CRLF, quoted newlines in CSV, nested Parquet columns) and bad paths through
every command that reads user data.

For every run: exit 2 with one line naming the file, the row (line) and, for a field's fault, the field;
or exit 0 with every input row accounted for in the output. Never a traceback, never a silently short
output. docs/robustness.md lists the cases.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pie_embed.cli.main import app

runner = CliRunner()
FIELD = "'instruction'"
BASE = [
    {"instruction": f"Write a poem about topic {i}.", "input": "", "label": "poem", "output": "A poem."}
    for i in range(5)
] + [
    {"instruction": f"Add {i} and {i + 1}.", "input": "", "label": "sum", "output": str(2 * i + 1)}
    for i in range(5)
]
EXAMPLES = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,  # the same cases on every run: CI is not where a new one should turn up
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Case:
    """A generated input file, and what a command must answer: the rows it holds, or the error's place."""

    path: Path
    rows: int | None  # the rows a successful run accounts for; None: the run must fail
    where: str | None = None  # regex the error line must match (the row or line), None: the file only
    field: bool = False  # the error must name the instruction field


ODD_TEXT = st.sampled_from(
    [
        "Übersetze den Satz ins Deutsche. 中文 العربية 🙂",
        "Zero\u200bwidth and\u00a0no-break spaces",
        "e\u0301 combining mark, RTL \u202eevil\u202c, tab\there",
        "Sum: 𝟙 + 𝟚 = ?",
        'quote " backslash \\ and {braces} %s',
    ]
)
BAD_VALUES = st.sampled_from([3, 2.5, True, ["a list"], {"a": "dict"}, None, "", "   \t  "])


@st.composite
def jsonl_cases(draw: Any, folder: Callable[[], Path]) -> Case:
    kind = draw(
        st.sampled_from(
            ["odd", "huge", "bom-crlf", "nested", "malformed", "bad-value", "missing", "empty-file"]
        )
    )
    rows: list[Any] = [dict(row) for row in BASE]
    at = draw(st.integers(1, len(rows) - 1))  # 0-based row that gets the fault; its line is at + 1
    path = folder() / "data.jsonl"
    newline, bom = "\n", ""
    if kind == "odd":
        rows[at]["instruction"] = draw(ODD_TEXT)
    elif kind == "huge":
        rows[at]["instruction"] = "Summarize this. " + "word " * draw(st.integers(20_000, 60_000))
    elif kind == "bom-crlf":
        newline, bom = "\r\n", "\ufeff"
    elif kind == "nested":
        rows[at]["meta"] = {"source": ["a", {"b": 1}], "score": None}
    elif kind == "bad-value":
        rows[at]["instruction"] = draw(BAD_VALUES)
    elif kind == "missing":
        del rows[at]["instruction"]
    if kind == "empty-file":
        path.write_text(draw(st.sampled_from(["", "\n\n", "   \n"])), encoding="utf-8")
        return Case(path, None)
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    if kind == "malformed":
        lines[at] = draw(st.sampled_from(['{"instruction": "cut', "{'instruction': 'x'}", "[1, 2", "nul"]))
    path.write_bytes((bom + newline.join(lines) + newline).encode("utf-8"))
    if kind in ("malformed", "bad-value", "missing"):
        return Case(path, None, f"line {at + 1}\\b", field=kind != "malformed")
    return Case(path, len(rows))


@st.composite
def csv_cases(draw: Any, folder: Callable[[], Path]) -> Case:
    kind = draw(st.sampled_from(["quoted-newline", "odd", "empty-cell", "no-column"]))
    rows = [dict(row) for row in BASE]
    at = draw(st.integers(1, len(rows) - 1))
    if kind == "quoted-newline":
        rows[at]["instruction"] = 'Rewrite this "quote",\nover two lines.'
        rows[at]["output"] = "line one\r\nline two"
    elif kind == "odd":
        rows[at]["instruction"] = draw(ODD_TEXT)
    elif kind == "empty-cell":
        rows[at]["instruction"] = ""
    path = folder() / "data.csv"
    columns = ["prompt" if kind == "no-column" else "instruction", "input", "label", "output"]
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row["instruction"], row["input"], row["label"], row["output"]])
    if kind == "empty-cell":
        return Case(path, None, r"row \d+", field=True)
    if kind == "no-column":
        return Case(path, None, None, field=True)
    return Case(path, len(rows))


@st.composite
def parquet_cases(draw: Any, folder: Callable[[], Path]) -> Case:
    import pyarrow as pa
    import pyarrow.parquet as pq

    kind = draw(st.sampled_from(["nested-columns", "odd", "struct-instruction", "null-instruction"]))
    texts: list[Any] = [row["instruction"] for row in BASE]
    at = draw(st.integers(1, len(texts) - 1))
    columns: dict[str, Any] = {"label": [row["label"] for row in BASE]}
    if kind == "nested-columns":
        columns["meta"] = [{"tags": ["a", "b"], "score": i} for i in range(len(texts))]
    elif kind == "odd":
        texts[at] = draw(ODD_TEXT)
    elif kind == "null-instruction":
        texts[at] = None
    if kind == "struct-instruction":
        instruction = pa.array([{"text": t} for t in texts])
    else:
        instruction = pa.array(texts, pa.string())
    path = folder() / "data.parquet"
    pq.write_table(pa.table({"instruction": instruction, **columns}), path)
    if kind == "null-instruction":
        return Case(path, None, rf"row {at + 1}\b", field=True)
    if kind == "struct-instruction":
        return Case(path, None, r"row \d+", field=True)
    return Case(path, len(texts))


def any_case(folder: Callable[[], Path]) -> st.SearchStrategy[Case]:
    return st.one_of(jsonl_cases(folder), csv_cases(folder), parquet_cases(folder))


def lines_of(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


@dataclass
class Command:
    args: Callable[[Path, Path], list[str]]  # (data, output folder) -> arguments
    rows: Callable[[Path], int | None]  # the output folder -> the rows the output accounts for


def commands(model: str, bank: Path, index: Path) -> dict[str, Command]:
    m = ["-m", model]

    def report(name: str, *keys: str) -> Callable[[Path], int]:
        return lambda out: sum(json.loads((out / name).read_text())[key] for key in keys)

    return {
        "embed": Command(
            lambda d, o: ["embed", str(d), "-o", str(o / "v.npy"), *m], lambda o: len(np.load(o / "v.npy"))
        ),
        "select": Command(
            lambda d, o: ["select", str(d), "-n", "2", "-o", str(o / "s.jsonl"), "--no-labels", *m],
            report("s.jsonl.report.json", "input_rows"),
        ),
        "dedup": Command(
            lambda d, o: [
                "dedup",
                str(d),
                "-o",
                str(o / "d.jsonl"),
                "-t",
                "0.99999",
                "--outliers",
                "0.1",
                *m,
            ],
            lambda o: lines_of(o / "d.jsonl") + lines_of(o / "d.jsonl.duplicates.jsonl"),
        ),
        "label": Command(
            lambda d, o: ["label", str(d), "-o", str(o / "l.jsonl"), "--no-cache"],
            lambda o: lines_of(o / "l.jsonl"),
        ),
        "identify": Command(
            lambda d, o: ["identify", "--input", str(d), "-o", str(o / "i.jsonl"), "--bank", str(bank), *m],
            lambda o: lines_of(o / "i.jsonl"),
        ),
        "bench-cluster": Command(
            lambda d, o: ["bench", "--cluster", str(d), "--json", str(o / "b.json"), "--seeds", "2", *m],
            lambda o: next(iter(json.loads((o / "b.json").read_text())[0]["clusters"].values()))["count"],
        ),
        "map": Command(
            lambda d, o: [
                "map",
                str(d),
                "-o",
                str(o / "m.html"),
                "--projection",
                "pca",
                "--color",
                "label",
                *m,
            ],
            lambda o: None,  # a picture; its points are counted in tests/tools/test_task_map.py
        ),
        "index-build": Command(
            lambda d, o: ["index", "build", str(d), "-o", str(o / "idx"), *m],
            lambda o: lines_of(o / "idx" / "records.jsonl"),
        ),
        "retrieve": Command(
            lambda d, o: ["retrieve", str(index), str(d), "-k", "2", "-o", str(o / "r.jsonl")],
            lambda o: lines_of(o / "r.jsonl"),
        ),
        "correlate": Command(
            lambda d, o: ["correlate", str(d), str(bank), "-o", str(o / "c"), *m],
            lambda o: json.loads((o / "c" / "correlation.json").read_text())["datasets"][0]["rows"],
        ),
    }


def assert_outcome(result: Any, case: Case, counted: Callable[[], int | None]) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if case.rows is None:
        lines = result.output.rstrip("\n").splitlines()  # nothing before the error, not even a blank line
        assert result.exit_code == 2 and len(lines) == 1, result.output
        assert str(case.path) in lines[0], lines[0]
        if case.where is not None:
            assert re.search(case.where, lines[0]), (case.where, lines[0])
        if case.field:
            assert FIELD in lines[0], lines[0]
    else:
        assert result.exit_code == 0, result.output
        rows = counted()
        assert rows is None or rows == case.rows, (rows, case.rows)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, tiny_encoder_dir: Path) -> dict[str, Command]:
    folder = tmp_path_factory.mktemp("fuzz-setup")
    bank = folder / "bank.jsonl"
    bank.write_text("".join(json.dumps(row) + "\n" for row in BASE), encoding="utf-8")
    index = folder / "idx"
    result = runner.invoke(app, ["index", "build", str(bank), "-o", str(index), "-m", str(tiny_encoder_dir)])
    assert result.exit_code == 0, result.output
    return commands(str(tiny_encoder_dir), bank, index)


@pytest.mark.parametrize(
    "name",
    [
        "embed",
        "select",
        "dedup",
        "label",
        "identify",
        "bench-cluster",
        "map",
        "index-build",
        "retrieve",
        "correlate",
    ],
)
def test_generated_files_through_every_command(name: str, setup, tmp_path_factory) -> None:
    command = setup[name]

    def folder() -> Path:
        return tmp_path_factory.mktemp(name)

    @EXAMPLES
    @given(case=any_case(folder))
    def run(case: Case) -> None:
        out = case.path.parent
        result = runner.invoke(app, command.args(case.path, out))
        assert_outcome(result, case, lambda: command.rows(out))

    run()


@pytest.mark.parametrize("name", ["embed", "select", "dedup", "label", "index-build", "map"])
def test_bad_paths_get_one_line(name: str, setup, tmp_path: Path) -> None:
    """A missing file, a folder, and an output that cannot be created: one line naming the path."""
    command = setup[name]
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps(row) + "\n" for row in BASE), encoding="utf-8")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for data, out, named in [
        (tmp_path / "missing.jsonl", tmp_path, "missing.jsonl"),
        (tmp_path, tmp_path / "o", str(tmp_path)),
        (good, blocker / "sub", "a-file"),  # the output's folder would have to be inside a file
        (good, Path("/proc/no/such"), "/proc/no"),
    ]:
        result = runner.invoke(app, command.args(data, out))
        lines = result.output.rstrip("\n").splitlines()
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            data,
            out,
            result.exception,
        )
        assert result.exit_code == 2 and len(lines) == 1 and named in lines[0], (data, out, result.output)


def test_identify_refuses_empty_instructions(tiny_encoder_dir: Path, tmp_path: Path) -> None:
    bank = tmp_path / "bank.jsonl"
    bank.write_text("".join(json.dumps(row) + "\n" for row in BASE), encoding="utf-8")
    for text in ["", "   ", "\t\n"]:
        args = ["identify", "Sort the list.", text, "-m", str(tiny_encoder_dir), "--bank", str(bank)]
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "instruction 2 is empty" in result.output, result.output
