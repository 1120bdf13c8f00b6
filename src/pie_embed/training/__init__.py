"""Task-aware contrastive fine-tuning (PIE): examples, losses, checkpoint selection, the training run."""

from pie_embed.training.trainer import TrainConfig, TrainResult, bf16_supported, train_model

__all__ = ["TrainConfig", "TrainResult", "bf16_supported", "train_model"]
