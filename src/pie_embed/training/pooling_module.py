"""A sentence-transformers module that pools with pie-embed's own strategies (``last-2`` for decoders).

sentence-transformers' ``Pooling`` has no "last token averaged over the last two layers", the paper's
decoder pooling; this module hands the transformer's hidden states to
:func:`pie_embed.embedding.pooling.pool`, so training and ``InstructionEmbedder`` pool the same way.
"""

from __future__ import annotations

from typing import Any

from sentence_transformers.base.modules.module import Module
from torch import Tensor

from pie_embed.embedding.pooling import PoolingBatch, check_pooling, pool

__all__ = ["PiePooling"]


class PiePooling(Module):
    """Pool ``all_layer_embeddings`` with ``pooling`` (the Transformer needs ``output_hidden_states``)."""

    config_keys: list[str] = ["pooling", "family", "embedding_dimension"]

    def __init__(self, pooling: str, family: str, embedding_dimension: int) -> None:
        super().__init__()
        self.pooling = check_pooling(pooling)
        self.family = family
        self.embedding_dimension = embedding_dimension

    def forward(self, features: dict[str, Tensor], **kwargs: Any) -> dict[str, Tensor]:
        layers = features.get("all_layer_embeddings")
        if layers is None:
            raise RuntimeError(
                "PiePooling needs hidden states: load the Transformer with output_hidden_states"
            )
        mask = features["attention_mask"]
        batch = PoolingBatch(tuple(layers), mask, mask, features["input_ids"])
        features["sentence_embedding"] = pool(self.pooling, batch, self.family)
        return features

    def get_embedding_dimension(self) -> int:
        return self.embedding_dimension

    def save(self, output_path: str, *args: Any, **kwargs: Any) -> None:
        self.save_config(output_path)

    @classmethod
    def load(cls, model_name_or_path: str, **kwargs: Any) -> PiePooling:
        hub = {
            key: kwargs[key] for key in ("subfolder", "token", "cache_folder", "revision") if key in kwargs
        }
        return cls(**cls.load_config(model_name_or_path=model_name_or_path, **hub))
