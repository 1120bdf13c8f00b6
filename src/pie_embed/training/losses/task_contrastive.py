"""In-batch InfoNCE over task labels, with the anchor's own task masked out of its negatives."""

from __future__ import annotations

from typing import Any

import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
from torch import Tensor

__all__ = ["TaskContrastiveLoss", "same_task_mask"]


def same_task_mask(anchor_tasks: Tensor, candidate_tasks: Tensor) -> Tensor:
    """``mask[i, j]`` is True where candidate ``j`` belongs to anchor ``i``'s task but is not its own
    positive (column ``i``): those are false negatives and must not be pushed away."""
    mask = anchor_tasks[:, None] == candidate_tasks[None, :]
    own = torch.arange(anchor_tasks.numel(), device=mask.device)
    mask[own, own] = False
    return mask


class TaskContrastiveLoss(MultipleNegativesRankingLoss):
    """sentence-transformers' :class:`MultipleNegativesRankingLoss` (InfoNCE over cosine, ``scale`` =
    1 / temperature) on (anchor, positive[, negative]) columns, plus false-negative masking.

    The paper's reference treats other instructions of the anchor's task that land in the same batch as
    negatives. With ``mask_same_task`` they are left out of the softmax instead. The ``labels`` column
    holds [anchor task id, negative task id] per example.
    """

    def __init__(self, model: SentenceTransformer, scale: float = 20.0, mask_same_task: bool = True) -> None:
        super().__init__(model, scale=scale)
        self.mask_same_task = mask_same_task

    def compute_loss_from_embeddings(self, embeddings: list[Tensor], labels: Tensor) -> Tensor:
        if not self.mask_same_task or labels is None or labels.dim() != 2:
            return super().compute_loss_from_embeddings(embeddings, labels)
        anchors, candidates = embeddings[0], torch.cat(embeddings[1:], dim=0)
        scores = self.similarity_fct(anchors, candidates) * self.scale
        tasks = labels[:, 0]
        candidate_tasks = [tasks] + [labels[:, 1]] * (len(embeddings) - 2)
        mask = same_task_mask(tasks, torch.cat(candidate_tasks))
        scores = scores.masked_fill(mask, -torch.inf)
        target = torch.arange(anchors.size(0), device=scores.device)
        return torch.nn.functional.cross_entropy(scores, target)

    def get_config_dict(self) -> dict[str, Any]:
        return {**super().get_config_dict(), "mask_same_task": self.mask_same_task}
