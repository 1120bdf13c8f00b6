"""`pie dedup`: the kept rows in the input's own format with every field, each removed row explained."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from pie_embed.cli.main import app

runner = CliRunner()
ROWS = [
    {"instruction": "Translate the sentence into French.", "input": "Good morning", "id": "0"},
    {"instruction": "Write a poem about the sea.", "input": "", "id": "1"},
    {"instruction": "Translate the sentence into French.", "input": "Good night", "id": "2"},
    {"instruction": "Write a poem about the sea.", "input": "", "id": "3"},
]
EXACT = ["-t", "0.99999"]  # only identical texts are this close
MODEL = [
    "-m",
    "pie-static",
]  # the shipped static tier: real vectors, no torch (tiny random models put all texts close)


def write_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(ROWS[0]))
        writer.writeheader()
        writer.writerows(ROWS)
    return path


def test_a_csv_stays_a_csv_with_every_column(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "rows.csv")
    result = runner.invoke(app, ["dedup", str(data), *MODEL, *EXACT])
    assert result.exit_code == 0, result.output
    out = tmp_path / "rows.dedup.csv"  # the default output name
    assert "kept 2 of 4 rows, removed 2 near-duplicates" in " ".join(result.output.split())
    with out.open(newline="", encoding="utf-8") as stream:
        assert list(csv.DictReader(stream)) == [ROWS[0], ROWS[1]]
    explained = [json.loads(line) for line in (tmp_path / "rows.dedup.csv.duplicates.jsonl").open()]
    assert [(e["row"], e["duplicate_of"], e["reason"]) for e in explained] == [
        (2, 0, "duplicate"),
        (3, 1, "duplicate"),
    ]
    assert all(e["similarity"] >= 0.99999 and e["text"] == e["duplicate_of_text"] for e in explained)


def test_two_columns_and_given_vectors(tmp_path: Path) -> None:
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    model = MODEL
    both = ["--columns", "instruction,input"]
    result = runner.invoke(app, ["dedup", str(data), "-o", str(tmp_path / "a.jsonl"), *both, *EXACT, *model])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in (tmp_path / "a.jsonl").open()] == ["0", "1", "2"]
    vectors = tmp_path / "v.npy"
    embed = ["embed", str(data), "-o", str(vectors), "--field", "instruction", "--input-field", "input"]
    assert runner.invoke(app, [*embed, "--join", "newline", *model]).exit_code == 0
    given = ["dedup", str(data), "-o", str(tmp_path / "b.jsonl"), *both, *EXACT, "-e", str(vectors)]
    result = runner.invoke(app, given)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b.jsonl").read_text() == (tmp_path / "a.jsonl").read_text()
    wrong = runner.invoke(app, ["dedup", str(data), "-o", str(tmp_path / "c.jsonl"), "-e", str(vectors)])
    assert wrong.exit_code == 2 and "other texts" in wrong.output  # vectors of instruction+input, not alone


def test_against_a_training_set(tmp_path: Path) -> None:
    data, train = tmp_path / "test.jsonl", tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    train.write_text(json.dumps({"instruction": "Write a poem about the sea.", "source": "x"}) + "\n")
    args = ["dedup", str(data), "-o", str(tmp_path / "o.jsonl"), "--against", str(train), *EXACT]
    result = runner.invoke(app, [*args, *MODEL])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in (tmp_path / "o.jsonl").open()] == ["0"]
    explained = [json.loads(line) for line in (tmp_path / "o.jsonl.duplicates.jsonl").open()]
    assert [(e["row"], e["reason"]) for e in explained] == [
        (1, "reference"),
        (2, "duplicate"),
        (3, "reference"),
    ]
    report = json.loads((tmp_path / "o.jsonl.report.json").read_text())
    assert (report["kept"], report["duplicates"], report["in_reference"]) == (1, 1, 2)


def test_bad_options_get_one_line(tmp_path: Path) -> None:
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    model = MODEL
    for args, fragment in [
        (["-t", "1.5"], "threshold must be between -1 and 1"),
        (["--outliers", "1"], "--outliers must be at least 0 and below 1"),
        (["--columns", "a,b,c"], "give one column or two"),
        (["--columns", "prompt"], "'prompt'"),
        (["--columns", "instruction,inptu"], "no row has a field 'inptu'"),
        (["--against", str(tmp_path / "missing.jsonl")], "missing.jsonl"),
        (["-o", str(tmp_path / "out.txt")], "unsupported output type '.txt'"),
        (["-o", str(tmp_path)], "is a folder"),
        (["-o", str(data)], "would overwrite the input"),
        (["--against", str(data)], "names the input itself"),
    ]:
        result = runner.invoke(app, ["dedup", str(data), *args, *model])
        lines = result.output.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1 and fragment in lines[0], (args, result.output)


def test_select_report_names_each_duplicate_with_its_similarity(tmp_path: Path) -> None:
    """`pie select --dedup` shares the implementation: its report's duplicates carry the similarity."""
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    args = [
        "select",
        str(data),
        "-n",
        "2",
        "--dedup",
        "0.99999",
        "--no-labels",
        "-o",
        str(tmp_path / "s.jsonl"),
    ]
    result = runner.invoke(app, [*args, *MODEL])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "s.jsonl.report.json").read_text())
    assert [(d["row"], d["line"], d["duplicate_of"]) for d in report["duplicates"]] == [(2, 3, 0), (3, 4, 1)]
    assert all(d["similarity"] >= 0.99999 for d in report["duplicates"])
