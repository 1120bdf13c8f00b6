"""Any object with sentence-transformers' ``encode`` as a :class:`TextEncoder` (a SentenceTransformer, an
encoder of your own), so that every job, tool and the server take it."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from pie_embed.data.text import checked_texts
from pie_embed.embedding.protocol import TextEncoder
from pie_embed.embedding.stats import EncodeStats


class EncoderAdapter(TextEncoder):
    """Wraps ``model``, whose ``encode(texts, batch_size=, show_progress_bar=, normalize_embeddings=)``
    does the work.

    >>> from sentence_transformers import SentenceTransformer
    >>> encoder = EncoderAdapter(SentenceTransformer(folder), name="my-model")
    """

    def __init__(self, model: Any, *, name: str | None = None, normalize: bool = True) -> None:
        self.model = model
        self.name = name or type(model).__name__
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

    def encode_with_stats(
        self,
        texts: Sequence[str],
        batch_size: int | None = None,
        show_progress_bar: bool | None = None,
        normalize_embeddings: bool | None = None,
    ) -> tuple[np.ndarray, EncodeStats]:
        started = time.perf_counter()
        checked = checked_texts(texts)
        options: dict[str, Any] = {"show_progress_bar": bool(show_progress_bar)}
        if batch_size is not None:
            options["batch_size"] = batch_size
        normalize = self.normalize if normalize_embeddings is None else normalize_embeddings
        if not checked:
            return np.zeros((0, self.dimension), np.float32), EncodeStats()
        found = self.model.encode(checked, normalize_embeddings=normalize, **options)
        vectors = np.asarray(found, np.float32)
        stats = EncodeStats(len(checked), len(set(checked)), 0, 1, time.perf_counter() - started, [])
        return vectors, stats
