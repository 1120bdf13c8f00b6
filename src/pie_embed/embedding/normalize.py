"""Unit-length rows: every tool and the service compare vectors by inner product, which is then cosine."""

from __future__ import annotations

import numpy as np

ROW_BLOCK = 65_536  # rows handled at a time by whole-array passes (bounds the temporary memory)


def unit_rows(vectors: np.ndarray, *, in_place: bool = False) -> np.ndarray:
    """float32 rows scaled to length 1 (all-zero rows stay zero), so inner product is cosine.

    ``in_place`` scales a writable float32 C-contiguous array itself, block by block (no second copy of
    a million rows); other arrays are copied first."""
    array = np.ascontiguousarray(vectors, dtype=np.float32)
    # a view of the caller's memory (a memory map, a slice) is scaled only when asked to and writable
    if np.may_share_memory(array, vectors) and not (in_place and array.flags.writeable):
        array = array.copy()
    for start in range(0, len(array), ROW_BLOCK):
        block = array[start : start + ROW_BLOCK]
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        block /= np.where(norms > 0, norms, 1.0)
    return array
