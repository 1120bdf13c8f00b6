"""The two IEB tasks: instruction clustering (ICT) and instruction intention similarity (IIS)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pie_embed.benchmark.metrics import (
    ClusterScores,
    cluster_scores,
    cosine_similarities,
    kmeans_labels,
    random_assignment,
    spearman,
    spearman_ceiling,
)
from pie_embed.errors import DataError


@dataclass
class ClusteringResult:
    """ICT-style result: k-means with k = number of labels, scored against the labels."""

    count: int
    k: int
    scores: ClusterScores  # at the reference seed 0
    random: ClusterScores  # random assignment to k clusters
    seed_aris: list[float] = field(default_factory=list)  # ARI for seeds 0..n-1

    @property
    def ari_mean(self) -> float:
        return float(np.mean(self.seed_aris)) if self.seed_aris else self.scores.ari

    @property
    def ari_std(self) -> float:
        return float(np.std(self.seed_aris)) if len(self.seed_aris) > 1 else 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "count": self.count,
            "k": self.k,
            **self.scores.to_dict(),
            "random": self.random.to_dict(),
            "seed_aris": self.seed_aris,
            "ari_mean": self.ari_mean,
            "ari_std": self.ari_std,
        }


@dataclass
class SimilarityResult:
    """IIS-style result: Spearman correlation of pair cosine similarity with 0/1 labels; ``ceiling`` is
    the best any tie-free similarity can score on these labels (see :func:`spearman_ceiling`)."""

    count: int
    positives: int
    spearman: float
    random_spearman: float
    ceiling: float

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def evaluate_clustering(embeddings: np.ndarray, labels: Sequence[str], seeds: int = 1) -> ClusteringResult:
    """Cluster ``embeddings`` into as many clusters as there are labels and score the result."""
    if len(embeddings) != len(labels):
        raise DataError(f"{len(embeddings)} embeddings but {len(labels)} labels")
    k = len(set(labels))
    if k < 2:
        raise DataError(f"clustering needs at least 2 distinct labels, found {k}")
    predicted = kmeans_labels(embeddings, k, seed=0)
    aris = [cluster_scores(labels, predicted).ari]
    aris += [cluster_scores(labels, kmeans_labels(embeddings, k, seed=s)).ari for s in range(1, seeds)]
    return ClusteringResult(
        count=len(labels),
        k=k,
        scores=cluster_scores(labels, predicted, embeddings),
        random=cluster_scores(labels, random_assignment(len(labels), k, seed=0)),
        seed_aris=aris,
    )


def evaluate_similarity(
    embeddings1: np.ndarray, embeddings2: np.ndarray, labels: Sequence[int]
) -> SimilarityResult:
    """Spearman correlation between the cosine similarity of each pair and its 0/1 label."""
    if not len(embeddings1) == len(embeddings2) == len(labels):
        raise DataError("pair embeddings and labels differ in length")
    random_scores = np.random.default_rng(0).random(len(labels))
    return SimilarityResult(
        count=len(labels),
        positives=int(np.sum(labels)),
        spearman=spearman(cosine_similarities(embeddings1, embeddings2), labels),
        random_spearman=spearman(random_scores, labels),
        ceiling=spearman_ceiling(labels),
    )
