"""In-batch InfoNCE over task labels, with the anchor's own task (and, optionally, tasks that are the same in
other words) masked out of its negatives."""

from __future__ import annotations

from typing import Any

import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
from torch import Tensor

__all__ = ["TaskContrastiveLoss", "same_task_mask"]


def same_task_mask(anchor_tasks: Tensor, candidate_tasks: Tensor, similar: Tensor | None = None) -> Tensor:
    """``mask[i, j]`` is True where candidate ``j`` belongs to anchor ``i``'s task (or, with ``similar``, a
    ``[task, task]`` boolean matrix, to a task similar to it) but is not its own positive (column ``i``):
    those are false negatives and must not be pushed away."""
    if similar is None:
        mask = anchor_tasks[:, None] == candidate_tasks[None, :]
    else:
        mask = similar[anchor_tasks][:, candidate_tasks].clone()
    own = torch.arange(anchor_tasks.numel(), device=mask.device)
    mask[own, own] = False
    return mask


class TaskContrastiveLoss(MultipleNegativesRankingLoss):
    """sentence-transformers' :class:`MultipleNegativesRankingLoss` (InfoNCE over cosine, ``scale`` =
    1 / temperature) on (anchor, positive[, negative]) columns, plus false-negative masking.

    The paper's reference treats other instructions of the anchor's task that land in the same batch as
    negatives. With ``mask_same_task`` they are left out of the softmax instead; ``similar_tasks`` (a
    boolean ``[task, task]`` matrix, see :func:`~pie_embed.training.similar_tasks.similar_task_matrix`)
    widens the mask to tasks that are the same in other words. The ``labels`` column holds
    [anchor task id, negative task id] per example.
    """

    def __init__(
        self,
        model: SentenceTransformer,
        scale: float = 20.0,
        mask_same_task: bool = True,
        similar_tasks: Tensor | None = None,
    ) -> None:
        super().__init__(model, scale=scale)
        self.mask_same_task = mask_same_task
        self.similar_tasks = similar_tasks

    def compute_loss_from_embeddings(self, embeddings: list[Tensor], labels: Tensor) -> Tensor:
        if not self.mask_same_task or labels is None or labels.dim() != 2:
            return super().compute_loss_from_embeddings(embeddings, labels)
        anchors, candidates = embeddings[0], torch.cat(embeddings[1:], dim=0)
        scores = self.similarity_fct(anchors, candidates) * self.scale
        tasks = labels[:, 0]
        candidate_tasks = [tasks] + [labels[:, 1]] * (len(embeddings) - 2)
        similar = None if self.similar_tasks is None else self.similar_tasks.to(scores.device)
        mask = same_task_mask(tasks, torch.cat(candidate_tasks), similar)
        scores = scores.masked_fill(mask, -torch.inf)
        target = torch.arange(anchors.size(0), device=scores.device)
        return torch.nn.functional.cross_entropy(scores, target)

    def get_config_dict(self) -> dict[str, Any]:
        return {
            **super().get_config_dict(),
            "mask_same_task": self.mask_same_task,
            "similar_task_pairs": 0 if self.similar_tasks is None else int(self.similar_tasks.sum()),
        }
