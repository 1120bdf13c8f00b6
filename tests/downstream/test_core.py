"""The downstream benchmarks' pieces that need no model: scoring, the split, picks, coverage, ranking."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pie_embed.downstream.compression import compress_test_set, ranking_agreement
from pie_embed.downstream.coverage import subset_tasks
from pie_embed.downstream.icl import ICLResult, pool_results
from pie_embed.downstream.induction import build_icl_split, load_induction, read_distractors
from pie_embed.downstream.pickers import OraclePicker, RandomPicker, same_task_precision
from pie_embed.downstream.scoring import bootstrap_interval, first_line, is_correct
from pie_embed.errors import DataError

DOWNSTREAM = Path(__file__).resolve().parents[2].parent / "shared" / "downstream"


def test_exact_match_strips_lowercases_and_takes_alternatives() -> None:
    assert is_correct("  Kritiker ", ["kritiker"])
    assert is_correct("Gegner", ["Kritiker", "Gegner"])
    assert not is_correct("Kritik", ["Kritiker"])
    assert first_line(" cold\n\n### Instruction:") == "cold"


def test_bootstrap_interval_brackets_the_mean_and_pairs() -> None:
    values = np.r_[np.ones(30), np.zeros(70)]
    interval = bootstrap_interval(values)
    assert interval.mean == pytest.approx(0.3)
    assert 0.2 < interval.low < 0.3 < interval.high < 0.4
    same = bootstrap_interval(values, paired_with=values)
    assert (same.mean, same.low, same.high) == (0.0, 0.0, 0.0)


@pytest.fixture(scope="module")
def split():
    data = load_induction(DOWNSTREAM).only_tasks(["antonyms", "sum", "translation_en-fr"])
    distractors = [{"instruction": "Write a poem", "input": "", "output": "roses", "task": "alpaca"}] * 5
    return build_icl_split(data, distractors, per_task=4, seed=0)


def test_queries_use_wordings_kept_out_of_the_pool(split) -> None:
    assert len(split.queries) == 12 and len(split.pool) == 3 * 200 + 5
    for query in split.queries:
        pool_wordings = {r["instruction"] for r in split.pool if r["task"] == query["task"]}
        assert query["instruction"] in split.query_instructions[query["task"]]
        assert query["instruction"] not in pool_wordings
    assert split.queries[0]["output"] in split.queries[0]["accepted"]


def test_oracle_picks_only_the_own_task_and_random_mostly_not(split) -> None:
    assert np.all(same_task_precision(split, OraclePicker(0).pick(split, 4)) == 1.0)
    random = same_task_precision(split, RandomPicker(0).pick(split, 4)).mean()
    assert 0.1 < random < 0.6  # three tasks of 200 rows each


def test_unknown_task_is_a_one_line_error() -> None:
    with pytest.raises(DataError, match="unknown task 'antonym'"):
        load_induction(DOWNSTREAM).only_tasks(["antonym"])


def test_subset_task_spread() -> None:
    tasks = ["a", "a", "b", "c"]
    even = subset_tasks(tasks, [0, 2, 3], 3)
    assert (even.covered, even.entropy, even.largest_share) == (3, pytest.approx(1.0), pytest.approx(1 / 3))
    one = subset_tasks(tasks, [0, 1], 3)
    assert (one.covered, one.entropy, one.largest_share) == (1, 0.0, 1.0)


def test_ranking_agreement() -> None:
    full = np.array([[0.1, 0.2, 0.3]])
    assert ranking_agreement(full, full) == (0.0, 1.0)
    mae, tau = ranking_agreement(full, np.array([[0.3, 0.2, 0.1]]))
    assert mae == pytest.approx(0.4 / 3) and tau == pytest.approx(-1.0)


def _icl_result(correct: np.ndarray) -> ICLResult:
    """An ICLResult of one LLM whose conditions answered ``correct`` ([conditions, queries])."""
    conditions = [f"c{i}" for i in range(len(correct))]
    queries = [
        {"task": f"t{j % 3}", "instruction": f"Do task {j % 3}", "input": f"item {j}", "output": "x"}
        for j in range(correct.shape[1])
    ]
    return ICLResult(
        settings={"k": 4},
        conditions=conditions,
        llms=["llm"],
        queries=queries,
        precision={c: np.full(len(queries), np.nan) for c in conditions},
        answers={("llm", c): ["x"] * len(queries) for c in conditions},
        correct={("llm", c): row.astype(bool) for c, row in zip(conditions, correct, strict=True)},
    )


def test_compressing_to_every_query_reproduces_the_full_ranking() -> None:
    rng = np.random.default_rng(0)
    correct = rng.random((4, 30)) < np.array([[0.2], [0.4], [0.6], [0.8]])
    result = _icl_result(correct)

    def embed(model: str, texts: list[str]) -> np.ndarray:
        return np.random.default_rng(len(model)).normal(size=(len(texts), 8)).astype(np.float32)

    compressed = compress_test_set(result, embed, ["m"], fractions=[1.0], seeds=3)
    assert [r.selector for r in compressed.rows] == ["random", "m kmeans", "m kmeans-weighted"]
    for row in compressed.rows:
        assert row.n == 30 and row.mae_mean == pytest.approx(0.0) and row.tau_mean == pytest.approx(1.0)
    half = compress_test_set(result, embed, ["m"], fractions=[0.5], seeds=20)
    assert all(0 < r.mae_mean < 0.3 and r.tau_mean < 1.0 for r in half.rows)


def test_icl_result_round_trips_through_json(tmp_path: Path) -> None:
    correct = np.array([[True, False, True], [False, False, True]])
    result = _icl_result(correct)
    (tmp_path / "icl.json").write_text(json.dumps(result.to_dict()))
    loaded = ICLResult.load(tmp_path)
    assert loaded.conditions == result.conditions and loaded.llms == ["llm"]
    np.testing.assert_array_equal(loaded.correctness_matrix()[1], correct)
    assert loaded.accuracy("llm", "c0").mean == pytest.approx(2 / 3)
    (tmp_path / "icl.json").write_text('{"benchmark": "select"}')
    with pytest.raises(DataError, match="not an in-context-learning result"):
        ICLResult.load(tmp_path)


def test_accuracy_by_same_task_share_pools_conditions_and_llms() -> None:
    result = _icl_result(np.array([[True, False, True], [False, False, True]]))
    result.precision = {"c0": np.array([1.0, 0.5, 1.0]), "c1": np.array([0.5, 0.5, np.nan])}
    by_share = dict(result.accuracy_by_precision())
    assert sorted(by_share) == [0.5, 1.0]
    assert by_share[1.0].n == 2 and by_share[1.0].mean == pytest.approx(1.0)
    assert by_share[0.5].n == 3 and by_share[0.5].mean == pytest.approx(0.0)  # the nan query is left out


def test_distractors_are_only_rows_with_an_output(tmp_path: Path) -> None:
    rows = [
        {"instruction": f"Task {i}", "input": "", "output": "" if i == 1 else f"answer {i}"} for i in range(4)
    ]
    path = tmp_path / "alpaca.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for seed in range(10):
        drawn = read_distractors(path, 3, seed)
        assert sorted(d["instruction"] for d in drawn) == ["Task 0", "Task 2", "Task 3"]
    with pytest.raises(
        DataError, match=r"4 distractors asked for, the file has 3 rows with an output \(1 with"
    ):
        read_distractors(path, 4, 0)
    rows[2]["output"] = 7.5  # a number is read as its text; a list is an error naming the line
    rows[3]["output"] = ["a"]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(DataError, match="line 4: field 'output' is list, expected a string"):
        read_distractors(path, 2, 0)


def test_split_fingerprint_changes_with_the_pool(split) -> None:
    again = build_icl_split(
        load_induction(DOWNSTREAM).only_tasks(["antonyms", "sum", "translation_en-fr"]),
        [{"instruction": "Write a poem", "input": "", "output": "roses", "task": "alpaca"}] * 5,
        per_task=4,
        seed=0,
    )
    assert again.fingerprint() == split.fingerprint()
    again.pool[-1] = {**again.pool[-1], "output": "tulips"}
    assert again.fingerprint() != split.fingerprint()


def test_pooling_runs_concatenates_their_queries() -> None:
    first = _icl_result(np.array([[True, False], [False, False]]))
    second = _icl_result(np.array([[True, True, True], [True, False, False], [False, False, False]]))
    pooled = pool_results([first, second])
    assert pooled.conditions == ["c0", "c1"] and len(pooled.queries) == 5  # c2 is not in the first run
    assert pooled.accuracy("llm", "c0").mean == pytest.approx(4 / 5)
    assert pooled.delta("llm", "c1", baseline="c0").mean == pytest.approx(-3 / 5)
    with pytest.raises(DataError, match="no in-context-learning results"):
        pool_results([])
