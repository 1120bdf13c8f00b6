"""k-means over unit vectors: scikit-learn for small inputs, faiss for large ones, in two levels for
very many clusters."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pie_embed.errors import ConfigError
from pie_embed.tools.neighbors import ExactIndex, _faiss

# from this many vectors on, k-means runs in faiss (scikit-learn's Lloyd is several times slower there)
FAISS_KMEANS_FROM = 20_000
# faiss trains on at most this many vectors per centroid (its own default), a sample drawn here
POINTS_PER_CENTROID = 256
# from this many (training vector x centroid) pairs per pass, k-means runs in two levels: 1M rows into
# 10k clusters is 2.6e9 pairs, about 40 s a pass on 2 cores, against seconds in two levels
TWO_LEVEL_FROM = 500_000_000
ASSIGN_BLOCK = 65_536


@dataclass
class KMeansResult:
    """Centroids (unit length) and each vector's cluster."""

    centroids: np.ndarray
    labels: np.ndarray
    backend: str


def _unit(centroids: np.ndarray) -> np.ndarray:
    centroids = np.ascontiguousarray(centroids, dtype=np.float32)
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    return centroids / np.where(norms > 0, norms, 1.0)


def _assign(vectors: np.ndarray, rows: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Each of ``rows``' nearest centroid, in blocks (no copy of all rows at once)."""
    index = ExactIndex(centroids)
    labels = np.empty(len(rows), np.int64)
    for start in range(0, len(rows), ASSIGN_BLOCK):
        labels[start : start + ASSIGN_BLOCK] = index.search(vectors[rows[start : start + ASSIGN_BLOCK]], 1)[
            1
        ][:, 0]
    return labels


def _faiss_centroids(vectors: np.ndarray, rows: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import kmeans_plusplus

    faiss = _faiss()
    rng = np.random.default_rng(seed)
    train_rows = (
        rows
        if len(rows) <= POINTS_PER_CENTROID * k
        else rng.choice(rows, POINTS_PER_CENTROID * k, replace=False)
    )
    data = np.ascontiguousarray(vectors[np.sort(train_rows)], dtype=np.float32)
    # faiss starts from random rows; k-means++ seeds (on a sample) avoid its merged-cluster optima
    sample = data[rng.choice(len(data), min(len(data), 40 * k), replace=False)]
    init, _ = kmeans_plusplus(sample, k, random_state=seed)
    # min_points_per_centroid=1: few rows per cluster is what selection asks for, not a mistake to warn of
    model = faiss.Kmeans(
        data.shape[1], k, niter=20, seed=seed, spherical=True, verbose=False, min_points_per_centroid=1
    )
    model.train(data, init_centroids=np.ascontiguousarray(init, dtype=np.float32))
    return model.centroids


def split_counts(sizes: np.ndarray, k: int) -> np.ndarray:
    """``k`` clusters shared among groups of ``sizes`` in proportion (largest remainders), at least one
    and at most its size for every non-empty group."""
    sizes = np.asarray(sizes, np.int64)
    if int((sizes > 0).sum()) > k:
        raise ConfigError(f"cannot share {k} clusters among {int((sizes > 0).sum())} non-empty groups")
    share = sizes * k / sizes.sum()
    counts = np.clip(np.floor(share).astype(np.int64), 1, sizes)
    counts[sizes == 0] = 0
    for group in np.argsort(-(share - np.floor(share)), kind="stable"):
        if counts.sum() >= k:
            break
        if counts[group] < sizes[group]:
            counts[group] += 1
    while counts.sum() > k:  # the minimum of one pushed the total over: take from the largest shares
        counts[np.argmax(np.where(counts > 1, counts, 0))] -= 1
    return counts


def two_level_kmeans(vectors: np.ndarray, rows: np.ndarray, k: int, seed: int) -> KMeansResult:
    """k-means as faiss.contrib.clustering.two_level_clustering does it: sqrt(k) coarse clusters, each
    split into sub-clusters in proportion to its size; a row is assigned within its coarse cluster, so a
    pass costs about rows x 2 sqrt(k) instead of rows x k."""
    coarse_k = max(1, int(math.sqrt(k)))
    coarse = _assign(vectors, rows, _unit(_faiss_centroids(vectors, rows, coarse_k, seed)))
    counts = split_counts(np.bincount(coarse, minlength=coarse_k), k)
    centroids: list[np.ndarray] = []
    labels = np.empty(len(rows), np.int64)
    for cell in np.flatnonzero(counts):
        members = np.flatnonzero(coarse == cell)
        sub = kmeans(
            vectors, int(counts[cell]), rows=rows[members], seed=seed, faiss_from=0, two_level_from=None
        )
        labels[members] = sub.labels + sum(len(c) for c in centroids)
        centroids.append(sub.centroids)
    return KMeansResult(np.concatenate(centroids), labels, "faiss-two-level")


def kmeans(
    vectors: np.ndarray,
    k: int,
    *,
    rows: np.ndarray | None = None,
    seed: int = 0,
    faiss_from: int = FAISS_KMEANS_FROM,
    two_level_from: int | None = TWO_LEVEL_FROM,
) -> KMeansResult:
    """Spherical-ish k-means of unit ``vectors`` (only ``rows`` of them, when given: they are gathered a
    block at a time, never copied whole) into ``k`` clusters, seeded; ``labels`` follow ``rows``."""
    rows = np.arange(len(vectors)) if rows is None else np.asarray(rows, np.int64)
    n = len(rows)
    if not 1 <= k <= n:
        raise ConfigError(f"k-means needs 1 <= k <= {n} (the number of vectors), got k={k}")
    if two_level_from is not None and min(n, POINTS_PER_CENTROID * k) * k >= two_level_from and k > 1:
        return two_level_kmeans(vectors, rows, k, seed)
    if n >= faiss_from:
        centroids, backend = _faiss_centroids(vectors, rows, k, seed), "faiss"
    else:
        from sklearn.cluster import KMeans

        data = vectors[rows]
        centroids = KMeans(n_clusters=k, random_state=seed, n_init=1).fit(data).cluster_centers_
        backend = "scikit-learn"
    centroids = _unit(centroids)
    return KMeansResult(centroids=centroids, labels=_assign(vectors, rows, centroids), backend=backend)
