"""Test-set compression: does a small, selected test set rank the conditions as the full one does?

From an in-context-learning run's per-query correctness (every LLM x condition), the query set is
compressed to a fraction with `pie select`'s k-means on each embedder (the row nearest each centroid)
and with random draws; each subset's accuracies are compared with the full set's: the mean absolute
error over all (LLM, condition) pairs and Kendall's tau of each LLM's ranking of the conditions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pie_embed.benchmark.report import rounded
from pie_embed.data.readers import join_text
from pie_embed.downstream.icl import ICLResult
from pie_embed.embedding.normalize import unit_rows
from pie_embed.errors import DataError
from pie_embed.tools.select import select_instructions

COMPRESS_FRACTIONS = (0.10, 0.20)
COMPRESS_SEEDS = 20
RANDOM = "random"


@dataclass
class CompressionRow:
    """One selector at one fraction: means (and sd) over seeds."""

    selector: str  # "random", "<model> kmeans" or "<model> kmeans-weighted"
    fraction: float
    n: int
    seeds: int
    mae_mean: float
    mae_sd: float
    tau_mean: float
    tau_sd: float


@dataclass
class CompressionResult:
    rows: list[CompressionRow]
    pairs: int
    queries: int
    machine: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "benchmark": "compress",
            "machine": self.machine,
            "pairs": self.pairs,
            "queries": self.queries,
            "rows": [rounded(r) for r in self.rows],
        }


def ranking_agreement(full: np.ndarray, subset: np.ndarray) -> tuple[float, float]:
    """(mean absolute error of the accuracies, mean Kendall's tau over LLMs) of ``subset`` against
    ``full``; both are [llms, conditions] accuracy tables. A constant ranking counts as tau 0."""
    from scipy.stats import kendalltau

    taus = []
    for a, b in zip(full, subset, strict=True):
        tau = kendalltau(a, b).statistic
        taus.append(0.0 if np.isnan(tau) else float(tau))
    return float(np.abs(full - subset).mean()), float(np.mean(taus))


def compress_test_set(
    result: ICLResult,
    embed: Callable[[str, list[str]], np.ndarray],
    models: Sequence[str],
    *,
    fractions: Sequence[float] = COMPRESS_FRACTIONS,
    seeds: int = COMPRESS_SEEDS,
) -> CompressionResult:
    """Compare ``seeds`` random subsets and ``seeds`` k-means selections per model at each fraction.

    ``kmeans`` scores a subset by its plain accuracy; ``kmeans-weighted`` weights each chosen query by
    its cluster's size, the estimator a compressed test set is meant for.
    """
    from pie_embed.benchmark.machine import machine_info

    if seeds < 1:
        raise DataError(f"seeds must be at least 1, got {seeds}")
    pairs, correct = result.correctness_matrix()
    correct = correct.astype(np.float64)
    shape = (len(result.llms), len(result.conditions))
    full = correct.mean(axis=1).reshape(shape)
    total = correct.shape[1]
    texts = [join_text(q["instruction"], q["input"], "newline") for q in result.queries]
    sizes = {f: max(2, round(f * total)) for f in fractions}
    if any(n > total for n in sizes.values()):
        raise DataError(f"the run has {total} queries, too few for fractions {list(fractions)}")

    def score(indices: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, float]:
        subset = np.average(correct[:, indices], axis=1, weights=weights).reshape(shape)
        return ranking_agreement(full, subset)

    def row(selector: str, fraction: float, scores: list[tuple[float, float]]) -> CompressionRow:
        mae, tau = np.asarray([s[0] for s in scores]), np.asarray([s[1] for s in scores])
        return CompressionRow(
            selector, fraction, sizes[fraction], len(scores), mae.mean(), mae.std(), tau.mean(), tau.std()
        )

    rows = []
    for fraction, n in sizes.items():
        draws = [
            np.random.default_rng([seed, 5]).choice(total, size=n, replace=False) for seed in range(seeds)
        ]
        rows.append(row(RANDOM, fraction, [score(d) for d in draws]))
    for model in models:
        vectors = unit_rows(embed(model, texts))
        for fraction, n in sizes.items():
            plain, weighted = [], []
            for seed in range(seeds):
                selection = select_instructions(vectors, n, "kmeans", seed=seed)
                chosen = np.asarray(selection.indices)
                clusters = selection.cluster_of[chosen]
                counts = np.bincount(selection.cluster_of[selection.cluster_of >= 0])
                weights = np.where(clusters >= 0, counts[np.maximum(clusters, 0)], 1).astype(np.float64)
                plain.append(score(chosen))
                weighted.append(score(chosen, weights))
            rows.append(row(f"{model} kmeans", fraction, plain))
            rows.append(row(f"{model} kmeans-weighted", fraction, weighted))
    return CompressionResult(rows, len(pairs), total, machine_info())
