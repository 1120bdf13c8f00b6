"""Keep the model near its base on text of other sources: a regulariser against forgetting."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.losses import EmbedDistillLoss
from torch import Tensor

__all__ = ["BaseAnchorLoss"]


class BaseAnchorLoss(EmbedDistillLoss):
    """sentence-transformers' :class:`EmbedDistillLoss` with the cosine distance, the base model as
    teacher (its embeddings, computed once before training, in the ``label`` column) and a ``weight``:
    ``weight * mean(1 - cos(model(text), base(text)))``.

    Task-label training only sees IEB-style instructions, and moves every input it embeds; anchoring the
    embeddings of other-source text (instructions with their inputs, conversations, code, math) to where
    the base model put them keeps what it knew about tasks phrased in other ways.
    """

    def __init__(self, model: SentenceTransformer, weight: float = 1.0) -> None:
        super().__init__(model, distance_metric="cosine")
        self.weight = weight

    def forward(self, sentence_features: Iterable[dict[str, Tensor]], labels: Tensor | None) -> Tensor:
        return self.weight * super().forward(sentence_features, labels)

    def get_config_dict(self) -> dict[str, Any]:
        return {**super().get_config_dict(), "weight": self.weight}
