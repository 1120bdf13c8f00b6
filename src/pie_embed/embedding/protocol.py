"""The encoder protocol: what every encoder offers and every caller may use.

:class:`~pie_embed.embedding.embedder.InstructionEmbedder` (a transformer in this process),
:class:`~pie_embed.embedding.static.StaticEncoder` (a static token table) and
:class:`~pie_embed.embedding.ray_engine.RayEncoder` (a pool of Ray actors) all subclass it, and callers
name :class:`TextEncoder`, never a union of classes. They build on :class:`EncoderBase`, which does
what every ``encode_with_stats`` call needs (check the texts, resolve the batch size and normalization,
time the call) and leaves the embedding itself to ``_embed``. A class of your own may subclass either.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from pie_embed.data.text import checked_texts
from pie_embed.embedding.stats import EncodeStats
from pie_embed.errors import ConfigError


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
        """float32 vectors [len(texts), dimension] in input order, and what the call did.

        Written once for every :class:`EncoderBase`: the texts checked
        (:func:`~pie_embed.data.text.checked_texts`: strings, valid Unicode, not blank), the call's batch
        size and normalization resolved against the encoder's own, the call timed; ``_embed`` embeds."""
        checked = checked_texts(texts)
        size = getattr(self, "batch_size", None) if batch_size is None else batch_size
        if size is not None and size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {size}")
        normalize = getattr(self, "normalize", True) if normalize_embeddings is None else normalize_embeddings
        started = time.perf_counter()
        if not checked:
            return np.zeros((0, self.dimension), np.float32), EncodeStats()
        vectors, stats = self._embed(checked, size, show_progress_bar, normalize)
        stats.seconds = time.perf_counter() - started
        return vectors, stats

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


class EncoderBase(TextEncoder):
    """What the encoders of this package build on: the protocol's ``encode_with_stats`` and ``encode``,
    an own batch size (None: the model's) and normalization; subclasses embed checked texts in
    :meth:`_embed`."""

    batch_size: int | None = None
    normalize: bool = True

    def _embed(
        self, texts: list[str], batch_size: int | None, show_progress: bool | None, normalize: bool
    ) -> tuple[np.ndarray, EncodeStats]:
        """Vectors of checked, non-blank ``texts`` and the call's statistics (its time is set after)."""
        raise NotImplementedError
