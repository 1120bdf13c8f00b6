"""The encoder protocol: what every encoder offers and every caller may use.

:class:`~pie_embed.embedding.embedder.InstructionEmbedder` (a transformer in this process),
:class:`~pie_embed.embedding.static.StaticEncoder` (a static token table) and
:class:`~pie_embed.embedding.ray_engine.RayEncoder` (a pool of Ray actors) all subclass it, and callers
name :class:`TextEncoder`, never a union of classes. A class of your own that subclasses it and
implements ``encode_with_stats`` and the properties gets ``encode`` for free.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from pie_embed.embedding.stats import EncodeStats


@runtime_checkable
class TextEncoder(Protocol):
    """Texts in, float32 vectors out, with the settings that made them."""

    @property
    def model_name(self) -> str:
        """The model's name as the user gave it (an alias, a folder, a file)."""
        ...

    @property
    def dimension(self) -> int: ...

    @property
    def config_key(self) -> str:
        """A short hash of everything the vectors depend on (the weights' content fingerprint and every
        setting): what caches and resumable runs are keyed by."""
        ...

    def describe(self) -> dict[str, object]:
        """The settings that made the vectors (model, its fingerprint, prompt, pooling, ...)."""
        ...

    def encode_with_stats(
        self,
        texts: Sequence[str],
        batch_size: int | None = None,
        show_progress_bar: bool | None = None,
        normalize_embeddings: bool | None = None,
    ) -> tuple[np.ndarray, EncodeStats]:
        """float32 vectors [len(texts), dimension] in input order, and what the call did."""
        ...

    def encode(
        self,
        sentences: str | Sequence[str],
        batch_size: int | None = None,
        show_progress_bar: bool | None = None,
        normalize_embeddings: bool | None = None,
    ) -> np.ndarray:
        """Vectors [n, dimension] in input order; one string gives one [dimension] vector
        (sentence-transformers' ``encode``)."""
        texts = [sentences] if isinstance(sentences, str) else list(sentences)
        vectors, _ = self.encode_with_stats(texts, batch_size, show_progress_bar, normalize_embeddings)
        return vectors[0] if isinstance(sentences, str) else vectors

    def expect_input(self, input_bytes: int) -> None:
        """A hint before a job over a file of ``input_bytes`` (a transformer compiles for a large one)."""
        return None
