import json

from typer.testing import CliRunner

from pie_embed.cli.main import app

runner = CliRunner()


def write_jsonl(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")


def test_label_writes_every_row_with_its_category(tmp_path):
    data = tmp_path / "d.jsonl"
    write_jsonl(
        data,
        [
            {"instruction": "Write a poem about the sea.", "input": "", "id": 1},
            {"instruction": "Please list three countries in Europe.", "id": 2},
            {"instruction": "!!!", "id": 3},
        ],
    )
    out = tmp_path / "labeled.jsonl"
    result = runner.invoke(app, ["label", str(data), "-o", str(out), "--no-cache"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3]  # every row, in order, with its own fields
    assert [r["task_label"] for r in rows] == ["write|poem", "list|country", None]
    assert rows[2]["task_reason"] == "the instruction has no words" and rows[2]["excluded"].startswith(
        "no task category"
    )
    assert "unlabeled" in result.output


def test_label_ieb_format_rebuilds_a_benchmark(tmp_path):
    data = tmp_path / "d.json"
    topics = ("the sea", "love", "winter", "a cat", "the moon", "rain")
    rows = [{"instruction": f"Write a poem about {t}.", "input": t, "output": "..."} for t in topics]
    rows += [
        {"instruction": f"Sort the list of {t}.", "output": "1 2"}
        for t in ("apples", "cars", "books", "names")
    ]
    rows += [{"instruction": "Translate the sentence into French."}]
    data.write_text(json.dumps(rows))
    out = tmp_path / "my_ieb.json"
    result = runner.invoke(
        app,
        [
            "label",
            str(data),
            "--ieb-format",
            "-o",
            str(out),
            "--min-count",
            "2",
            "--test-size",
            "0.5",
            "--no-cache",
        ],
    )
    assert result.exit_code == 0, result.output
    train = json.loads(out.read_text())
    test = json.loads((tmp_path / "my_ieb.test.json").read_text())
    assert {k: v["number"] for k, v in train.items()} == {"write|poem": 3, "sort|list": 2}
    assert {k: v["number"] for k, v in test.items()} == {"write|poem": 3, "sort|list": 2}
    sample = train["write|poem"]["samples"][0]
    assert sample["category"] == ["write", "poem"] and sample["output"] == "..."
    excluded = [json.loads(line) for line in (tmp_path / "my_ieb.excluded.jsonl").read_text().splitlines()]
    assert len(excluded) == 1 and "min_count 2" in excluded[0]["excluded"]
    stats = json.loads((tmp_path / "my_ieb.stats.json").read_text())
    assert stats["instructions"] == 11 and stats["samples"] == 10 and stats["low_frequency_instructions"] == 1


def test_label_evaluate_scores_against_gold(tmp_path):
    gold = tmp_path / "gold.jsonl"
    write_jsonl(
        gold,
        [
            {"instruction": "Write a poem about the sea.", "label": "write|poem"},
            {"instruction": "Why is the sky blue?", "label": "why|knowledge"},
            {"instruction": "Sort the following words.", "label": "order|word##sort|word"},
            {"instruction": "Find the title of the article.", "label": "find|name"},
        ],
    )
    out = tmp_path / "scored.jsonl"
    result = runner.invoke(app, ["label", "--evaluate", str(gold), "-o", str(out), "--no-cache"])
    assert result.exit_code == 0, result.output
    assert "75.0%" in result.output and "100.0%" in result.output  # exact 3/4, verb 4/4
    assert "find|title" in result.output  # the confusion is listed
    assert len(out.read_text().splitlines()) == 4


def test_label_errors_are_one_line(tmp_path):
    result = runner.invoke(app, ["label", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2 and "missing.jsonl" in result.output and "Traceback" not in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instruction": "Write a poem."}\n{"instruction": 3}\n')
    result = runner.invoke(app, ["label", str(bad), "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2 and "line 2" in result.output
    result = runner.invoke(app, ["label"])
    assert result.exit_code == 2 and "--evaluate" in result.output


def test_label_default_output_and_default_overlap_check(tmp_path, monkeypatch):
    from tests.conftest import IEB_DIR

    in_test = json.loads((IEB_DIR / "eft_test.json").read_text())["outline|step"]["samples"][0]["instruction"]
    data = tmp_path / "mine.jsonl"
    write_jsonl(data, [{"instruction": in_test}, {"instruction": "Write a poem about the sea."}])
    out = tmp_path / "mine.ieb.json"
    # no data folder anywhere: nothing to check against, and the output says so
    monkeypatch.delenv("PIE_DATA", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "empty"))
    result = runner.invoke(app, ["label", str(data), "--ieb-format", "-o", str(out), "--no-cache"])
    assert result.exit_code == 0 and "no overlap with them was checked" in result.output, result.output
    assert json.loads((tmp_path / "mine.ieb.stats.json").read_text())["test_overlap"] == 0
    # $PIE_DATA names the data folder, from any working directory
    monkeypatch.setenv("PIE_DATA", str(IEB_DIR.parent))
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["label", str(data), "--ieb-format", "-o", str(out), "--no-cache"])
    assert result.exit_code == 0, result.output
    stats = json.loads((tmp_path / "mine.ieb.stats.json").read_text())
    assert stats["test_overlap"] == 1 and len(stats["test_files"]) == 3  # $PIE_DATA/ieb test files
    assert list(json.loads(out.read_text())) == ["write|poem"]
    result = runner.invoke(app, ["label", str(data), "--ieb-format", "-o", str(out), "--no-overlap-check"])
    assert json.loads((tmp_path / "mine.ieb.stats.json").read_text())["test_overlap"] == 0

    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["label", str(data), "--no-cache"])
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "mine.labeled.jsonl").read_text().splitlines()) == 2
