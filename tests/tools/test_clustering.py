import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from pie_embed.errors import ConfigError
from pie_embed.tools.clustering import kmeans


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
