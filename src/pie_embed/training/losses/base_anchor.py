"""Keep the model near its base on text of other sources: a regulariser against forgetting."""

from __future__ import annotations

from typing import Any

import torch
from sentence_transformers import SentenceTransformer
from torch import Tensor, nn

__all__ = ["BaseAnchorLoss"]


class BaseAnchorLoss(nn.Module):
    """``weight * mean(1 - cos(model(text), base(text)))`` over a ``text`` column whose ``label`` column
    holds the base model's embedding of that text (computed once, before training).

    Task-label training only sees IEB-style instructions, and moves every input it embeds; anchoring the
    embeddings of other-source text (instructions with their inputs, conversations, code, math) to where
    the base model put them keeps what it knew about tasks phrased in other ways.
    """

    def __init__(self, model: SentenceTransformer, weight: float = 1.0) -> None:
        super().__init__()
        self.model = model
        self.weight = weight

    def forward(self, sentence_features: list[dict[str, Tensor]], labels: Tensor) -> Tensor:
        embeddings = self.model(sentence_features[0])["sentence_embedding"]
        target = labels.to(embeddings.device, embeddings.dtype)
        return self.weight * (1 - torch.nn.functional.cosine_similarity(embeddings, target, dim=-1)).mean()

    def get_config_dict(self) -> dict[str, Any]:
        return {"weight": self.weight}
