"""The tools' commands end to end on a tiny model: exit codes, files written, one-line errors."""

import json

from typer.testing import CliRunner

from pie_embed.cli.main import app

runner = CliRunner()
ROWS = [{"instruction": f"Write a poem about topic {i}", "id": i} for i in range(12)] + [
    {"instruction": f"Add {i} and {i + 1}.", "id": 100 + i} for i in range(12)
]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_select_writes_subset_and_report(tiny_encoder_dir, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", ROWS)
    result = runner.invoke(
        app,
        [
            "select",
            str(data),
            "-n",
            "4",
            "-m",
            str(tiny_encoder_dir),
            "--no-labels",
            "--method",
            "diverse",
            "--diversity-threshold",
            "1.0",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "kept 4 of 24 rows (diverse" in result.output
    written = [json.loads(line) for line in (tmp_path / "d.selected.jsonl").read_text().splitlines()]
    assert written == ROWS[:4]  # diverse keeps the first rows that pass, in file order
    assert json.loads((tmp_path / "d.selected.jsonl.report.json").read_text())["selected"] == 4


def test_select_errors_are_one_line(tiny_encoder_dir, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", ROWS)
    result = runner.invoke(app, ["select", str(data), "-n", "99", "-m", str(tiny_encoder_dir), "--no-labels"])
    assert result.exit_code == 2 and "-n 99 is out of range: the dataset has 24 rows" in result.output
    empty = tmp_path / "e.jsonl"
    empty.write_text("")
    result = runner.invoke(app, ["select", str(empty), "-n", "1", "-m", str(tiny_encoder_dir)])
    assert result.exit_code == 2 and "no instructions found" in result.output
    result = runner.invoke(
        app, ["select", str(data), "-n", "1", "-m", str(tiny_encoder_dir), "--field", "prompt"]
    )
    assert (
        result.exit_code == 2 and "prompt" in result.output and len(result.output.strip().splitlines()) == 1
    )


def test_index_build_and_retrieve(tiny_encoder_dir, tmp_path):
    pool = write_jsonl(tmp_path / "pool.jsonl", [{**r, "output": "answer"} for r in ROWS])
    result = runner.invoke(
        app, ["index", "build", str(pool), "-o", str(tmp_path / "idx"), "-m", str(tiny_encoder_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "indexed 24 demonstrations (exact search)" in result.output
    queries = write_jsonl(tmp_path / "q.jsonl", [ROWS[3], ROWS[15]])
    out = tmp_path / "r.jsonl"
    result = runner.invoke(
        app,
        [
            "retrieve",
            str(tmp_path / "idx"),
            str(queries),
            "-k",
            "2",
            "-o",
            str(out),
            "--prompts",
            str(tmp_path / "p.txt"),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [d["demonstrations"][0]["pool_row"] for d in lines] == [3, 15]
    assert lines[0]["prompt"].count("### Response:\nanswer") == 2
    assert (tmp_path / "p.txt").read_text().count("### Instruction:") == 6
    result = runner.invoke(app, ["retrieve", str(tmp_path), str(queries)])
    assert result.exit_code == 2 and "not a pie-embed index" in result.output


def test_correlate_and_map(tiny_encoder_dir, tmp_path):
    a = write_jsonl(tmp_path / "poems.jsonl", ROWS[:12])
    b = write_jsonl(tmp_path / "sums.jsonl", ROWS[12:])
    result = runner.invoke(
        app, ["correlate", str(a), str(b), "-o", str(tmp_path / "corr"), "-m", str(tiny_encoder_dir)]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "corr" / "coverage.png").is_file()
    result = runner.invoke(
        app,
        [
            "map",
            str(a),
            "-o",
            str(tmp_path / "m.html"),
            "-m",
            str(tiny_encoder_dir),
            "--color",
            "cluster",
            "--clusters",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "mapped 12 instructions" in result.output and (tmp_path / "m.png").is_file()


def test_identify_with_a_user_bank(tiny_encoder_dir, tmp_path):
    bank = write_jsonl(
        tmp_path / "bank.jsonl", [{**r, "label": "poem" if r["id"] < 100 else "sum"} for r in ROWS]
    )
    out = tmp_path / "ident.jsonl"
    result = runner.invoke(
        app,
        [
            "identify",
            "Write a poem about topic 3",
            "-m",
            str(tiny_encoder_dir),
            "--bank",
            str(bank),
            "--top",
            "2",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    found = json.loads(out.read_text())
    assert found["label"] == "write|poem" and [t["task"] for t in found["nearest"]][0] == "poem"
    result = runner.invoke(app, ["identify", "-m", str(tiny_encoder_dir)])
    assert result.exit_code == 2 and "give instructions" in result.output
