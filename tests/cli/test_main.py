import json

import numpy as np
from typer.testing import CliRunner

from pie_embed.cli.main import app
from pie_embed.data.embeddings import read_embeddings

runner = CliRunner()


def write_jsonl(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")


def test_embed_writes_vectors_and_manifest(tiny_encoder_dir, tmp_path):
    data = tmp_path / "d.jsonl"
    write_jsonl(data, [{"instruction": "Sort the list.", "input": "3 1 2"}, {"instruction": "Write a poem."}])
    out = tmp_path / "e.npy"
    result = runner.invoke(
        app, ["embed", str(data), "-o", str(out), "--model", str(tiny_encoder_dir), "--join", "newline"]
    )
    assert result.exit_code == 0, result.output
    assert "embedded 2 instructions" in result.output
    vectors, manifest = read_embeddings(out)
    assert vectors.shape == (2, 32) and manifest.count == 2 and manifest.pooling == "cls"
    assert manifest.extra["join"] == "newline"


def test_embed_parquet(tiny_encoder_dir, tmp_path):
    data = tmp_path / "d.jsonl"
    write_jsonl(data, [{"instruction": "Sort the list."}, {"instruction": "Write a poem."}])
    out = tmp_path / "e.parquet"
    result = runner.invoke(
        app, ["embed", str(data), "-o", str(out), "-m", str(tiny_encoder_dir), "-p", "pie"]
    )
    assert result.exit_code == 0, result.output
    vectors, manifest = read_embeddings(out)
    assert manifest.prompt == "pie" and np.isfinite(vectors).all()


def test_errors_are_one_line_with_exit_2(tiny_encoder_dir, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instruction": "ok"}\n{"instruction": \n')
    result = runner.invoke(
        app, ["embed", str(bad), "-o", str(tmp_path / "x.npy"), "-m", str(tiny_encoder_dir)]
    )
    assert result.exit_code == 2
    assert "bad.jsonl" in result.output and "2" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["embed", str(bad), "-o", str(tmp_path / "x.npy"), "-m", "no-such-model"])
    assert result.exit_code == 2 and "unknown model" in result.output
    result = runner.invoke(app, ["bench", "--data", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "not found" in result.output


def test_bench_cluster_file(tiny_encoder_dir, tmp_path):
    data = tmp_path / "labeled.jsonl"
    rows = [
        {"instruction": f"{verb} the {noun} number {i}.", "label": verb}
        for verb in ("Sort", "Write")
        for i, noun in enumerate(["list", "text", "poem"])
    ]
    write_jsonl(data, rows)
    out = tmp_path / "r.json"
    bench = [
        "bench",
        "--cluster",
        str(data),
        "-m",
        str(tiny_encoder_dir),
        "--cache-dir",
        str(tmp_path / "cache"),
    ]
    result = runner.invoke(app, [*bench, "--pooling", "cls", "--pooling", "mean", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "labeled.jsonl ARI" in result.output
    saved = json.loads(out.read_text())
    assert len(saved) == 2 and saved[0]["clusters"]["labeled.jsonl"]["k"] == 2
    again = runner.invoke(app, bench)
    assert again.exit_code == 0 and "cached" in again.output  # the rerun embeds nothing


def test_models_lists_aliases():
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0 and "all-minilm-l6-v2" in result.output and "smollm2-135m" in result.output


def test_bench_without_a_model_says_it_runs_the_shipped_task_aware_default(tmp_path):
    data = tmp_path / "labeled.jsonl"
    rows = [
        {"instruction": f"{verb} the {noun}.", "label": verb}
        for verb in ("Sort", "Translate")
        for noun in ("list", "text", "poem")
    ]
    write_jsonl(data, rows)
    out = tmp_path / "r.json"
    args = ["bench", "--cluster", str(data), "--json", str(out), "--cache-dir", str(tmp_path / "cache")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert "model: the default, pie-general (task-aware, shipped in the package" in said
    assert "-m all-minilm-l6-v2 --pooling mean" in said  # where the reference protocol is
    assert json.loads(out.read_text())[0]["settings"]["model"] == "pie-general"
