import numpy as np
import pytest

from pie_embed.errors import ConfigError
from pie_embed.tools.dedup import (
    approximate_filter,
    dedup_filter,
    greedy_over_pairs,
    identical_rows,
    similar_pairs,
)
from pie_embed.tools.diversity import greedy_filter
from pie_embed.tools.vectors import unit_rows


@pytest.fixture
def near_copies() -> np.ndarray:
    """3,000 rows: 600 distinct 48-d directions, each with copies and near-copies spread through the file."""
    rng = np.random.default_rng(1)
    base = unit_rows(rng.normal(size=(600, 48)))
    picks = rng.integers(0, 600, 3000)
    return unit_rows(
        base[picks] + rng.choice([0.0, 0.03, 0.12], size=(3000, 1)) * rng.normal(size=(3000, 48))
    )


def test_greedy_over_pairs_follows_file_order_and_chains():
    # 0~1, 1~2 (not 0~2): 0 kept, 1 dropped, so 2 is kept; 3~4 and 2~4 with 2 kept: 4 dropped by its closest
    pairs = np.array([[0, 1], [1, 2], [3, 4], [2, 4]])
    sims = np.array([0.99, 0.98, 0.97, 0.96], np.float32)
    result = greedy_over_pairs(6, pairs[:, 0], pairs[:, 1], sims)
    assert result.kept.tolist() == [0, 2, 3, 5]
    assert result.covered_by.tolist() == [0, 0, 2, 3, 3, 5]
    assert result.similarity[[1, 4]].tolist() == pytest.approx([0.99, 0.97])


def test_approximate_filter_with_every_cell_probed_is_the_exact_pass(near_copies):
    exact = greedy_filter(near_copies, 0.95)
    approximate = approximate_filter(near_copies, 0.95, nprobe=10**6)
    assert approximate.kept.tolist() == exact.kept.tolist()
    assert (approximate.covered_by == exact.covered_by).all()
    assert np.allclose(approximate.similarity, exact.similarity, atol=1e-5)


def test_approximate_filter_with_few_probes_keeps_nearly_the_same_rows(near_copies):
    exact = set(greedy_filter(near_copies, 0.95).kept.tolist())
    approximate = set(approximate_filter(near_copies, 0.95, nprobe=2).kept.tolist())
    assert len(exact ^ approximate) <= 0.02 * len(exact)


def test_similar_pairs_are_exact_and_ordered(near_copies):
    earlier, later, similarity = similar_pairs(near_copies, 0.9)
    assert (earlier < later).all()
    assert (np.diff(earlier) >= 0).all()
    exact = np.einsum("ij,ij->i", near_copies[earlier], near_copies[later])
    assert np.allclose(similarity, exact, atol=1e-6) and (similarity >= 0.9).all()


def test_dedup_filter_switches_on_size(near_copies):
    assert dedup_filter(near_copies, 0.95)[1] == "exact"
    result, backend = dedup_filter(near_copies, 0.95, approximate_from=1000)
    assert backend == "faiss-ivf" and len(result.kept) < len(near_copies)


def test_threshold_is_checked(near_copies):
    with pytest.raises(ConfigError, match="between -1 and 1"):
        approximate_filter(near_copies, 2.0)


@pytest.mark.parametrize("rows", [0, 1, 50])
def test_no_pairs_at_all_keeps_every_row(rows):
    vectors = np.eye(max(rows, 1), 64, dtype=np.float32)[:rows]
    result = approximate_filter(vectors, 0.95)
    assert result.kept.tolist() == list(range(rows))


def test_thousands_of_copies_of_one_row_make_no_pairs(near_copies):
    copies = np.repeat(near_copies[:1], 5000, axis=0)
    vectors = np.concatenate([near_copies[:500], copies])
    earlier, _, _ = similar_pairs(
        vectors, 0.95, rows=np.flatnonzero(identical_rows(vectors) == np.arange(len(vectors)))
    )
    assert len(earlier) < 1000  # without setting copies aside: 12.5M pairs
    result = approximate_filter(vectors, 0.95)
    assert result.kept.tolist() == greedy_filter(vectors, 0.95).kept.tolist()
    assert (result.covered_by[500:] == 0).all()


def test_identical_rows_point_to_the_first_copy():
    vectors = np.eye(3, dtype=np.float32)[[1, 0, 1, 2, 0, 1]]
    assert identical_rows(vectors).tolist() == [0, 1, 0, 3, 1, 0]
