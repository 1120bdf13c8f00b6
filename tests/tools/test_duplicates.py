"""find_duplicates / find_outliers: the one implementation behind `pie dedup`, `pie select --dedup` and
deduplicate()."""

from __future__ import annotations

import numpy as np
import pytest

from pie_embed.embedding.normalize import unit_rows
from pie_embed.errors import ConfigError
from pie_embed.tools.duplicates import find_duplicates, find_outliers
from pie_embed.tools.select import select_instructions


def test_duplicates_name_the_earliest_kept_row_and_their_similarity(blobs) -> None:
    vectors, _ = blobs
    copies = unit_rows(vectors[[3, 3, 10]] + 0.001)  # near-copies of rows 3, 3 and 10, appended
    data = np.vstack([vectors, copies])
    found = find_duplicates(data, 0.999)
    assert found.removed.tolist() == [600, 601, 602] and found.duplicate_of.tolist() == [3, 3, 10]
    expected = [float(data[600] @ data[3]), float(data[601] @ data[3]), float(data[602] @ data[10])]
    np.testing.assert_allclose(found.similarity, expected, atol=1e-6)
    assert (found.similarity >= 0.999).all() and found.backend == "exact"
    assert len(found.kept) + len(found) == len(data) and found.kept.tolist() == list(range(600))


def test_select_reports_the_same_duplicates_with_their_similarity(blobs) -> None:
    vectors, _ = blobs
    data = np.vstack([vectors, unit_rows(vectors[[5]] + 0.001)])
    selection = select_instructions(data, 12, dedup_threshold=0.999)
    found = find_duplicates(data, 0.999)
    assert selection.duplicate_of == found.as_dict() == {600: 5}
    assert selection.duplicate_similarity == found.similarities()
    assert selection.duplicate_similarity[600] == pytest.approx(float(data[600] @ data[5]), abs=1e-4)


def test_outliers_are_the_isolated_rows(blobs) -> None:
    vectors, _ = blobs
    rng = np.random.default_rng(1)
    strays = unit_rows(rng.normal(size=(6, vectors.shape[1])))  # far from all 12 groups
    data = np.vstack([vectors[:300], strays, vectors[300:]])
    found = find_outliers(data, np.arange(len(data)), 6 / len(data))
    assert sorted(found.rows.tolist()) == list(range(300, 306))
    assert (np.diff(found.scores) <= 0).all() and found.neighbors == 10  # most isolated first
    assert find_outliers(data, np.arange(len(data)), 0.0).rows.size == 0


def test_outliers_always_leave_a_row_and_refuse_a_bad_fraction(blobs) -> None:
    vectors, _ = blobs
    assert len(find_outliers(vectors, np.arange(2), 0.99)) == 1
    for fraction in (-0.1, 1.0, 2.0):
        with pytest.raises(ConfigError, match="outlier fraction"):
            find_outliers(vectors, np.arange(10), fraction)
    with pytest.raises(ConfigError, match="threshold"):
        find_duplicates(vectors, 1.5)


def test_threshold_one_removes_every_exact_copy() -> None:
    """float32 rounding puts a vector's cosine to its own copy just under 1.0 at times: still a copy."""
    rng = np.random.default_rng(3)
    vectors = unit_rows(rng.normal(size=(500, 64)).astype(np.float32))
    doubled = np.vstack([vectors, vectors])
    found = find_duplicates(doubled, 1.0)
    assert found.removed.tolist() == list(range(500, 1000)) and found.duplicate_of.tolist() == list(
        range(500)
    )
    reference = find_duplicates(vectors, 1.0, reference=vectors)
    assert len(reference) == 500 and reference.in_reference.all()


def test_a_row_that_duplicates_repeat_is_never_an_outlier(blobs) -> None:
    vectors, _ = blobs
    rng = np.random.default_rng(2)
    stray = unit_rows(rng.normal(size=(1, vectors.shape[1])))
    data = np.vstack([stray, stray, vectors[:50]])  # the isolated row has a copy: not isolated
    duplicates = find_duplicates(data, 0.999)
    assert duplicates.repeated_rows().tolist() == [0]
    found = find_outliers(data, duplicates.kept, 1 / 51, protected=duplicates.repeated_rows())
    assert len(found) == 1 and found.rows[0] != 0
