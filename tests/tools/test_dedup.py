import numpy as np
import pytest

from pie_embed.embedding.normalize import unit_rows
from pie_embed.errors import ConfigError
from pie_embed.tools import dedup
from pie_embed.tools.dedup import IVFKeptRows, approximate_filter, dedup_filter
from pie_embed.tools.diversity import greedy_filter


@pytest.fixture
def near_copies() -> np.ndarray:
    """3,000 rows: 600 distinct 48-d directions, each with copies and near-copies spread through the file."""
    rng = np.random.default_rng(1)
    base = unit_rows(rng.normal(size=(600, 48)))
    picks = rng.integers(0, 600, 3000)
    return unit_rows(
        base[picks] + rng.choice([0.0, 0.03, 0.12], size=(3000, 1)) * rng.normal(size=(3000, 48))
    )


@pytest.mark.parametrize("block_rows", [64, 2048])
def test_with_every_cell_probed_it_is_the_exact_pass(near_copies, monkeypatch, block_rows):
    monkeypatch.setattr(dedup, "BLOCK_ROWS", block_rows)
    exact = greedy_filter(near_copies, 0.95)
    approximate = approximate_filter(near_copies, 0.95, nprobe=10**6)
    assert approximate.kept.tolist() == exact.kept.tolist()
    assert (approximate.covered_by == exact.covered_by).all()
    assert np.allclose(approximate.similarity, exact.similarity, atol=1e-5)


def test_with_few_probes_it_keeps_nearly_the_same_rows(near_copies):
    exact = set(greedy_filter(near_copies, 0.95).kept.tolist())
    approximate = set(approximate_filter(near_copies, 0.95, nprobe=2).kept.tolist())
    assert len(exact ^ approximate) <= 0.02 * len(exact)


def test_the_index_holds_only_kept_rows_and_rescores_exactly(near_copies):
    kept_rows = IVFKeptRows(near_copies, nprobe=10**6)
    best, owner = kept_rows.best(near_copies[:5])
    assert np.isneginf(best).all() and (owner == -1).all()
    kept_rows.add(near_copies[[10, 20]], np.array([10, 20]))
    best, owner = kept_rows.best(near_copies[[10, 20, 30]])
    assert owner[:2].tolist() == [10, 20] and np.allclose(best[:2], 1.0, atol=1e-5)
    assert best[2] == pytest.approx(max(near_copies[30] @ near_copies[10], near_copies[30] @ near_copies[20]))


@pytest.mark.parametrize("rows", [0, 1, 50])
def test_inputs_without_duplicates_keep_every_row(rows):
    vectors = np.eye(max(rows, 1), 64, dtype=np.float32)[:rows]
    assert approximate_filter(vectors, 0.95).kept.tolist() == list(range(rows))


def test_thousands_of_copies_of_one_row_index_one_row(near_copies):
    vectors = np.concatenate([near_copies[:500], np.repeat(near_copies[:1], 5000, axis=0)])
    result = approximate_filter(vectors, 0.95)
    assert result.kept.tolist() == greedy_filter(vectors, 0.95).kept.tolist()
    assert (result.covered_by[500:] == 0).all()


def test_dedup_filter_switches_on_size(near_copies):
    assert dedup_filter(near_copies, 0.95)[1] == "exact"
    result, backend = dedup_filter(near_copies, 0.95, approximate_from=1000)
    assert backend == "faiss-ivf" and len(result.kept) < len(near_copies)


def test_threshold_is_checked(near_copies):
    with pytest.raises(ConfigError, match="between -1 and 1"):
        approximate_filter(near_copies, 2.0)
