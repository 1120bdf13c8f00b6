"""Checksums of texts and vectors: what a manifest records and what a reader checks."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np


def texts_sha256(texts: Sequence[str]) -> str:
    """sha256 over the texts, each utf-8 encoded, joined with a NUL byte."""
    digest = hashlib.sha256()
    for index, text in enumerate(texts):
        if index:
            digest.update(b"\x00")
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()


def array_sha256(embeddings: np.ndarray) -> str:
    """sha256 of the float32 C-contiguous bytes of an array (hashed in place, without a copy of its bytes)."""
    return hashlib.sha256(np.ascontiguousarray(embeddings, dtype=np.float32)).hexdigest()


class RunningChecksums:
    """:func:`texts_sha256` and :func:`array_sha256` of rows that arrive in parts, without holding them."""

    def __init__(self) -> None:
        self.count = 0
        self._texts = hashlib.sha256()
        self._vectors = hashlib.sha256()

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.add_texts(texts)
        self._vectors.update(np.ascontiguousarray(vectors, dtype=np.float32))

    def add_texts(self, texts: Sequence[str]) -> None:
        for text in texts:
            if self.count:
                self._texts.update(b"\x00")
            self._texts.update(text.encode("utf-8"))
            self.count += 1

    @property
    def texts_sha256(self) -> str:
        return self._texts.hexdigest()

    @property
    def embeddings_sha256(self) -> str:
        return self._vectors.hexdigest()
