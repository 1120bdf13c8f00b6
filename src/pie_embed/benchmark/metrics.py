"""Clustering and similarity metrics of the IEB reference protocol, with random baselines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import spearmanr
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, homogeneity_score, silhouette_score
from sklearn.metrics.cluster import contingency_matrix

SILHOUETTE_SAMPLE = 10_000


@dataclass
class ClusterScores:
    """Agreement of a clustering with gold labels."""

    ari: float
    purity: float
    homogeneity: float
    silhouette: float | None  # None when the clustering has a single cluster or no embeddings are given

    def to_dict(self) -> dict[str, float | None]:
        return asdict(self)


def purity_score(labels_true: Sequence, labels_pred: Sequence) -> float:
    """Share of items whose cluster's majority label is their own label."""
    matrix = contingency_matrix(labels_true, labels_pred)
    return float(matrix.max(axis=0).sum() / matrix.sum())


def kmeans_labels(embeddings: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """The reference clustering: ``KMeans(n_clusters=k, random_state=seed, n_init="auto")``."""
    return KMeans(n_clusters=k, random_state=seed, n_init="auto").fit_predict(embeddings)


def random_assignment(n: int, k: int, seed: int = 0) -> np.ndarray:
    """Each item put in one of ``k`` clusters uniformly at random: the chance baseline."""
    return np.random.default_rng(seed).integers(0, k, size=n)


def cluster_scores(
    labels_true: Sequence, labels_pred: np.ndarray, embeddings: np.ndarray | None = None
) -> ClusterScores:
    """ARI, purity, homogeneity and (sampled above 10k points) silhouette of a clustering."""
    silhouette = None
    if embeddings is not None and 1 < len(np.unique(labels_pred)) < len(labels_pred):
        sample = SILHOUETTE_SAMPLE if len(labels_pred) > SILHOUETTE_SAMPLE else None
        silhouette = float(silhouette_score(embeddings, labels_pred, sample_size=sample, random_state=0))
    return ClusterScores(
        ari=float(adjusted_rand_score(labels_true, labels_pred)),
        purity=purity_score(labels_true, labels_pred),
        homogeneity=float(homogeneity_score(labels_true, labels_pred)),
        silhouette=silhouette,
    )


def cosine_similarities(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two [n, d] arrays."""
    a = a / np.clip(np.linalg.norm(a, axis=1, keepdims=True), 1e-12, None)
    b = b / np.clip(np.linalg.norm(b, axis=1, keepdims=True), 1e-12, None)
    return np.einsum("ij,ij->i", a, b)


def spearman(scores: np.ndarray, labels: Sequence[int]) -> float:
    return float(spearmanr(scores, labels).statistic)


def spearman_ceiling(labels: Sequence[int]) -> float:
    """The highest Spearman correlation with 0/1 ``labels`` that tie-free scores can reach: every positive
    ranked above every negative. It is below 1 (about ``sqrt(3 p (1 - p))`` for a positive share ``p``:
    0.848 on IEB's IIS pairs), because the labels tie and the scores do not."""
    labels = np.asarray(labels)
    perfect = labels * len(labels) + np.arange(len(labels))
    return spearman(perfect, labels)
