"""k-means over unit vectors: scikit-learn for small inputs, faiss for large ones."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pie_embed.errors import ConfigError
from pie_embed.tools.neighbors import ExactIndex, _faiss

# from this many vectors on, k-means runs in faiss (scikit-learn's Lloyd is several times slower there)
FAISS_KMEANS_FROM = 20_000


@dataclass
class KMeansResult:
    """Centroids (unit length) and each vector's cluster."""

    centroids: np.ndarray
    labels: np.ndarray
    backend: str


def kmeans(
    vectors: np.ndarray, k: int, *, seed: int = 0, faiss_from: int = FAISS_KMEANS_FROM
) -> KMeansResult:
    """Spherical-ish k-means of unit ``vectors`` into ``k`` clusters, seeded."""
    n = len(vectors)
    if not 1 <= k <= n:
        raise ConfigError(f"k-means needs 1 <= k <= {n} (the number of vectors), got k={k}")
    if n >= faiss_from:
        from sklearn.cluster import kmeans_plusplus

        faiss = _faiss()
        data = np.ascontiguousarray(vectors, dtype=np.float32)
        # faiss starts from random rows; k-means++ seeds (on a sample) avoid its merged-cluster optima
        rng = np.random.default_rng(seed)
        sample = data[rng.choice(n, min(n, 40 * k), replace=False)]
        init, _ = kmeans_plusplus(sample, k, random_state=seed)
        model = faiss.Kmeans(data.shape[1], k, niter=20, seed=seed, spherical=True, verbose=False)
        model.train(data, init_centroids=np.ascontiguousarray(init, dtype=np.float32))
        centroids = model.centroids
        backend = "faiss"
    else:
        from sklearn.cluster import KMeans

        centroids = KMeans(n_clusters=k, random_state=seed, n_init=1).fit(vectors).cluster_centers_
        backend = "scikit-learn"
    centroids = np.ascontiguousarray(centroids, dtype=np.float32)
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    centroids = centroids / np.where(norms > 0, norms, 1.0)
    _, nearest = ExactIndex(centroids).search(vectors, 1)
    return KMeansResult(centroids=centroids, labels=nearest[:, 0], backend=backend)
