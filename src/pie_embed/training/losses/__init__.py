"""Losses for task-aware training, one per file (sentence-transformers style)."""

from pie_embed.training.losses.base_anchor import BaseAnchorLoss
from pie_embed.training.losses.task_contrastive import TaskContrastiveLoss, same_task_mask

__all__ = ["BaseAnchorLoss", "TaskContrastiveLoss", "same_task_mask"]
