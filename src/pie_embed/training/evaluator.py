"""Checkpoint selection: how well the model clusters held-back tasks of the *training* labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sentence_transformers.sentence_transformer.evaluation import SentenceEvaluator

from pie_embed.benchmark.tasks import evaluate_clustering

__all__ = ["TaskClusteringEvaluator"]


class TaskClusteringEvaluator(SentenceEvaluator):
    """k-means ARI (k = number of tasks, IEB's protocol) of held-back labeled instructions.

    Never give it the IEB test files or the generalization sets: it picks the checkpoint.
    """

    def __init__(
        self, texts: Sequence[str], labels: Sequence[str], name: str = "validation", batch_size: int = 64
    ):
        super().__init__()
        self.texts, self.labels, self.name, self.batch_size = list(texts), list(labels), name, batch_size
        self.primary_metric = "ari"

    def __call__(self, model: Any, output_path: str | None = None, epoch: int = -1, steps: int = -1) -> dict:
        vectors = model.encode(
            self.texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        result = evaluate_clustering(np.asarray(vectors, dtype=np.float32), self.labels)
        metrics = {"ari": result.scores.ari, "purity": result.scores.purity}
        metrics = self.prefix_name_to_metrics(metrics, self.name)
        self.store_metrics_in_model_card_data(model, metrics, epoch, steps)
        return metrics
