import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from pie_embed.errors import ConfigError
from pie_embed.tools.clustering import kmeans, split_counts


@pytest.mark.parametrize("faiss_from", [10**9, 1])  # scikit-learn, then faiss
def test_kmeans_recovers_groups_with_either_backend(blobs, faiss_from):
    vectors, groups = blobs
    result = kmeans(vectors, 12, seed=0, faiss_from=faiss_from)
    assert result.backend == ("faiss" if faiss_from == 1 else "scikit-learn")
    assert adjusted_rand_score(groups, result.labels) > 0.95
    assert np.allclose(np.linalg.norm(result.centroids, axis=1), 1.0, atol=1e-5)


def test_kmeans_is_seeded(blobs):
    a = kmeans(blobs[0], 5, seed=3).labels
    b = kmeans(blobs[0], 5, seed=3).labels
    assert (a == b).all()


def test_k_out_of_range(blobs):
    with pytest.raises(ConfigError, match="1 <= k <= 600"):
        kmeans(blobs[0], 601)


def test_kmeans_of_some_rows_labels_those_rows(blobs):
    vectors, groups = blobs
    rows = np.arange(0, 600, 2)
    result = kmeans(vectors, 12, rows=rows, seed=0)
    assert len(result.labels) == len(rows)
    assert adjusted_rand_score(groups[rows], result.labels) > 0.95


def test_two_level_kmeans_recovers_groups_and_counts(blobs):
    vectors, groups = blobs
    result = kmeans(vectors, 24, seed=0, two_level_from=1)
    assert result.backend == "faiss-two-level"
    assert result.centroids.shape == (24, vectors.shape[1])
    assert set(result.labels.tolist()) <= set(range(24))
    # every group splits into sub-clusters of its own: no cluster mixes two groups
    for cluster in np.unique(result.labels):
        assert len(set(groups[result.labels == cluster].tolist())) == 1


@pytest.mark.parametrize(
    ("sizes", "k", "expected"),
    [
        ([50, 30, 20], 10, [5, 3, 2]),
        ([97, 2, 1], 10, [8, 1, 1]),
        ([5, 0, 5], 4, [2, 0, 2]),
        ([3, 1], 4, [3, 1]),
    ],
)
def test_split_counts(sizes, k, expected):
    assert split_counts(np.array(sizes), k).tolist() == expected


def test_split_counts_needs_a_cluster_per_group():
    with pytest.raises(ConfigError, match="cannot share 2 clusters among 4"):
        split_counts(np.array([1, 1, 1, 10]), 2)
