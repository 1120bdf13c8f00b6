"""The dev panel: every set of the panel folder plus IEB, means over >= 5 seeds, deltas, panel mean."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from pie_embed.benchmark import evaluate, load_ieb
from pie_embed.benchmark.panel import panel_files, panel_mean, panel_scores
from pie_embed.cli.main import app
from pie_embed.embedding.embedder import InstructionEmbedder
from pie_embed.errors import DataError

runner = CliRunner()
TASKS = {
    "translate": ["Translate the sentence into French.", "Put this text into German.", "Say it in Spanish."],
    "sum": ["Add the two numbers.", "What is 3 plus 4?", "Compute the total of the list."],
    "poem": ["Write a poem about the sea.", "Compose a haiku about snow.", "Write verses on love."],
}


def write_panel(folder: Path) -> Path:
    folder.mkdir()
    rows = [{"instruction": text, "label": label} for label, texts in TASKS.items() for text in texts]
    (folder / "tasks.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    kinds = [{**row, "label": "write" if row["instruction"].startswith("W") else "other"} for row in rows]
    (folder / "kinds.json").write_text(json.dumps(kinds))
    (folder / "README.md").write_text("not a set")
    return folder


def test_panel_files_are_the_data_files_of_the_folder(tmp_path: Path) -> None:
    folder = write_panel(tmp_path / "panel")
    assert [p.name for p in panel_files(folder)] == ["kinds.json", "tasks.jsonl"]
    with pytest.raises(DataError, match="panel folder not found"):
        panel_files(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no labeled sets"):
        panel_files(tmp_path / "empty")


def test_scores_are_seed_means_and_the_panel_mean_leaves_ieb_out(tiny_encoder_dir, ieb_dir, tmp_path) -> None:
    folder = write_panel(tmp_path / "panel")
    data = load_ieb(ieb_dir, panel_files(folder))
    result = evaluate(InstructionEmbedder(str(tiny_encoder_dir)), data, seeds=5)
    scores = {s.set: s for s in panel_scores(result)}
    assert list(scores) == ["IEB ICT", "IEB IIS", "kinds", "tasks"]
    assert scores["IEB ICT"].mean == pytest.approx(np.mean(result.ict.seed_aris))
    assert len(result.clusters["tasks.jsonl"].seed_aris) == 5
    assert scores["tasks"].sd == pytest.approx(np.std(result.clusters["tasks.jsonl"].seed_aris))
    assert panel_mean(list(scores.values())) == pytest.approx(
        (scores["kinds"].mean + scores["tasks"].mean) / 2
    )


def test_bench_panel_side_by_side(tiny_encoder_dir, ieb_dir, tmp_path) -> None:
    folder = write_panel(tmp_path / "panel")
    args = ["bench", "--panel", "--panel-dir", str(folder), "--data", str(ieb_dir), "--no-cache"]
    args += [
        "-m",
        str(tiny_encoder_dir),
        "--pooling",
        "mean",
        "--pooling",
        "cls",
        "--json",
        str(tmp_path / "p.json"),
    ]
    result = runner.invoke(app, args, terminal_width=250)
    assert result.exit_code == 0, result.output
    assert "mean ± sd over 5 k-means seeds" in result.output and "Δ 1" in result.output
    for row in ("IEB ICT", "IEB IIS", "kinds", "tasks", "panel mean"):
        assert row in result.output
    written = json.loads((tmp_path / "p.json").read_text())
    assert [r["settings"]["pooling"] for r in written] == ["mean", "cls"]
    assert all(len(r["clusters"]["tasks.jsonl"]["seed_aris"]) == 5 for r in written)

    few = runner.invoke(app, [*args[:7], "-m", str(tiny_encoder_dir), "--seeds", "2"])
    assert few.exit_code == 2 and "at least 5 k-means seeds" in few.output
    missing = runner.invoke(
        app, ["bench", "--panel", "--panel-dir", str(tmp_path / "nope"), "--data", str(ieb_dir)]
    )
    assert missing.exit_code == 2 and "panel folder not found" in missing.output
