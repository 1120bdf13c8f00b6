"""Any object with sentence-transformers' ``encode`` as a :class:`TextEncoder` (a SentenceTransformer, an
encoder of your own), so that every job, tool and the server take it."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from pie_embed.embedding.protocol import EncoderBase
from pie_embed.embedding.stats import EncodeStats
from pie_embed.errors import ConfigError


class EncoderAdapter(EncoderBase):
    """Wraps ``model``, whose ``encode(texts, batch_size=, show_progress_bar=, normalize_embeddings=)``
    does the work. ``name`` stands for the model in manifests and resume keys: give two different
    models different names. Its weights cannot be fingerprinted, so nothing caches its vectors on disk.

    >>> from sentence_transformers import SentenceTransformer
    >>> encoder = EncoderAdapter(SentenceTransformer(folder), name="my-model")
    """

    def __init__(self, model: Any, *, name: str, normalize: bool = True) -> None:
        if not name or not isinstance(name, str):
            raise ConfigError("EncoderAdapter needs name=: the vectors' settings and resume keys name it")
        self.model = model
        self.name = name
        self.normalize = normalize
        self._dimension: int | None = None

    @property
    def model_name(self) -> str:
        return self.name

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            size = getattr(self.model, "get_sentence_embedding_dimension", lambda: None)()
            if not size:  # a model that cannot say: one text tells
                size = np.asarray(self.model.encode(["dimension"])).shape[1]
            self._dimension = int(size)
        return self._dimension

    @property
    def config_key(self) -> str:
        """The wrapped model's name and normalization: name two different models differently."""
        return hashlib.sha256(f"adapter\x00{self.name}\x00{self.normalize}".encode()).hexdigest()[:16]

    def describe(self) -> dict[str, object]:
        return {
            "model": self.name,
            "model_fingerprint": None,
            "family": "adapter",
            "prompt": "none",
            "prompt_template": "{instruction}",
            "pooling": "the model's own",
            "normalize": self.normalize,
            "instruction_tokens_only": False,
            "max_length": None,
            "dimension": self.dimension,
            "precision": "the model's own",
        }

    def _embed(
        self, texts: list[str], batch_size: int | None, show_progress: bool | None, normalize: bool
    ) -> tuple[np.ndarray, EncodeStats]:
        options: dict[str, Any] = {
            "show_progress_bar": bool(show_progress),
            "normalize_embeddings": normalize,
        }
        if batch_size is not None:
            options["batch_size"] = batch_size
        vectors = np.asarray(self.model.encode(texts, **options), np.float32)
        return vectors, EncodeStats(len(texts), len(set(texts)), 0, 1)
