"""The tools with the real default model on real data: numbers a reader can check."""

import numpy as np
import pytest

from pie_embed.data.readers import read_instructions
from pie_embed.embedding.normalize import unit_rows
from pie_embed.tools.correlate import correlate_vectors
from pie_embed.tools.deduplicate import DEFAULT_THRESHOLD, deduplicate
from pie_embed.tools.retrieve import leave_one_out_precision, random_precision
from pie_embed.tools.select import select_instructions

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def eft(minilm, ieb, embedding_cache):
    """eft_test.json is IEB's ICT file: its vectors come from the anchor test's run when it ran first."""
    vectors, _ = embedding_cache.encode(minilm, ieb.ict.texts)
    return unit_rows(vectors), ieb.ict.labels


def test_demonstration_retrieval_finds_same_task_examples(eft):
    """Leave-one-out task-match precision@4 on eft_test (BENCHMARKS.md: 0.670 default)."""
    vectors, labels = eft
    precision = leave_one_out_precision(vectors, labels, 4)
    assert precision == pytest.approx(0.670, abs=0.02)
    assert precision > 10 * random_precision(labels, 4)


def test_kmeans_selection_covers_more_tasks_than_random(eft):
    """Test-set compression of eft_test to 145 rows keeps more of its 145 tasks than a random sample."""
    vectors, labels = eft
    chosen = select_instructions(vectors, 145, "kmeans").indices
    rng = np.random.default_rng(0)
    random_tasks = np.mean(
        [len({labels[i] for i in rng.choice(len(labels), 145, replace=False)}) for _ in range(5)]
    )
    assert len({labels[i] for i in chosen}) > random_tasks + 5


def test_correlation_puts_math_near_math_and_code_near_code(minilm, shared_dir):
    corpora = shared_dir / "corpora"
    names = ["gsm8k", "math_word_problem_mix", "codealpaca_2k", "mbpp_test"]
    rng = np.random.default_rng(0)
    vectors = []
    for name in names:
        rows = read_instructions(corpora / f"{name}.jsonl").texts
        sample = [rows[i] for i in rng.choice(len(rows), min(300, len(rows)), replace=False)]
        vectors.append(unit_rows(minilm.encode(sample)))
    result = correlate_vectors(vectors, names)
    w, c = result.wasserstein, result.coverage
    assert w[0, 1] < min(w[0, 2], w[0, 3]) and w[2, 3] < min(w[2, 0], w[2, 1])
    assert c[0, 1] > max(c[0, 2], c[0, 3]) and c[3, 2] > max(c[3, 0], c[3, 1])


def test_dedup_with_the_default_model_removes_reworded_requests_only(default_model) -> None:
    """The default model at the default threshold (0.9): rewordings of one request go, other requests of
    the same task stay (the pairs are from Alpaca, where this threshold was chosen)."""
    texts = [
        "Create an analogy for the given concept.",
        "Create an analogy that illustrates the following concept.",
        "Develop an algorithm that sorts a list of integers.",
        "Design an algorithm for sorting a list of integers.",
        "Translate the sentence into French.",
        "Translate the sentence into German.",
        "Write a haiku about autumn.",
        "Write a limerick about a cat.",
    ]
    result = deduplicate(texts, embedder=default_model)
    assert result.threshold == DEFAULT_THRESHOLD == 0.9
    assert [(d.index, d.duplicate_of) for d in result.duplicates] == [(1, 0), (3, 2)]
