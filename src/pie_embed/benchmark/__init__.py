"""The Instruction Embedding Benchmark: tasks, metrics, runner and report."""

from pie_embed.benchmark.ieb import BenchmarkResult, IEBData, evaluate, load_ieb, read_labeled, run_benchmark
from pie_embed.benchmark.metrics import ClusterScores, cluster_scores, purity_score
from pie_embed.benchmark.tasks import (
    ClusteringResult,
    SimilarityResult,
    evaluate_clustering,
    evaluate_similarity,
)

__all__ = [
    "BenchmarkResult",
    "ClusterScores",
    "ClusteringResult",
    "IEBData",
    "SimilarityResult",
    "cluster_scores",
    "evaluate",
    "evaluate_clustering",
    "evaluate_similarity",
    "load_ieb",
    "purity_score",
    "read_labeled",
    "run_benchmark",
]
