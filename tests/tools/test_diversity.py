import numpy as np
import pytest

from pie_embed.errors import ConfigError
from pie_embed.tools import diversity
from pie_embed.tools.diversity import greedy_filter


def brute_force(vectors, threshold, limit=None):
    kept = []
    for i, v in enumerate(vectors):
        if limit is not None and len(kept) >= limit:
            break
        if not kept or max(float(v @ vectors[j]) for j in kept) < threshold:
            kept.append(i)
    return kept


@pytest.mark.parametrize("block", [7, 512])
def test_matches_the_sequential_definition_across_blocks(blobs, monkeypatch, block):
    monkeypatch.setattr(diversity, "BLOCK", block)
    vectors, _ = blobs
    result = greedy_filter(vectors, 0.9)
    assert result.kept.tolist() == brute_force(vectors, 0.9)
    kept = set(result.kept.tolist())
    for i, owner in enumerate(result.covered_by):
        assert owner in kept
        assert owner == i or vectors[i] @ vectors[owner] >= 0.9 - 1e-6


def test_limit_stops_early_and_marks_unvisited_rows(blobs):
    vectors, _ = blobs
    result = greedy_filter(vectors, 0.5, limit=3)
    assert result.kept.tolist() == brute_force(vectors, 0.5, limit=3)
    assert (result.covered_by == -1).any()


def test_exact_duplicates_are_covered_by_their_first_copy():
    vectors = np.eye(4, dtype=np.float32)[[0, 1, 0, 2, 1]]
    result = greedy_filter(vectors, 0.99)
    assert result.kept.tolist() == [0, 1, 3]
    assert result.covered_by.tolist() == [0, 1, 0, 3, 1]


def test_threshold_is_checked():
    with pytest.raises(ConfigError, match="between -1 and 1"):
        greedy_filter(np.eye(2, dtype=np.float32), 1.5)
