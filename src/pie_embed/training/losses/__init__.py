"""Losses for task-aware contrastive training, one per file."""

from pie_embed.training.losses.task_contrastive import TaskContrastiveLoss

__all__ = ["TaskContrastiveLoss"]
