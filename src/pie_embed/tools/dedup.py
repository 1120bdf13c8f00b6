"""Near-duplicate removal for inputs too large for the exact greedy pass.

:func:`~pie_embed.tools.diversity.greedy_filter` keeps the rows it has kept in a matrix and compares
every later block of rows with all of them: O(rows x kept), hours at a million mostly distinct rows.
Here the same greedy pass keeps them in a faiss inverted-file index instead (8-bit scalar-quantised
codes, a quarter of the vectors' memory, trained on a sample of all rows): each block asks the index for
its rows' few nearest kept rows, re-scores them exactly, and the rule is greedy_filter's own (a row goes
when an earlier kept row is at least ``threshold`` similar). Only kept rows are indexed, so 30,000
copies or near-copies of one prompt cost 30,000 searches, not 450M pairs. The index may miss a kept row
whose cell it does not probe (recall is measured in BENCHMARKS.md); with every cell probed the result is
exactly greedy_filter's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from pie_embed.embedding.memory import release_free_memory
from pie_embed.tools.diversity import GreedyFilterResult, check_threshold, greedy_filter
from pie_embed.tools.neighbors import _faiss

# from this many rows on, dedup_filter uses the approximate index (the exact pass takes ~20 s at 100k)
APPROXIMATE_FROM = 100_000
# cells probed per query; see BENCHMARKS.md for recall against the exact pass
NPROBE = 8
# nearest kept rows (by their 8-bit codes) re-scored exactly for each row
CANDIDATES = 4
# rows per block: one index search and one exact block-by-block product each
BLOCK_ROWS = 2048
# training rows per cell (faiss warns below 39)
TRAIN_PER_CELL = 39


def dedup_filter(
    vectors: np.ndarray,
    threshold: float,
    *,
    approximate_from: int = APPROXIMATE_FROM,
    show_progress: bool = False,
) -> tuple[GreedyFilterResult, str]:
    """Drop rows at least ``threshold`` similar to an earlier kept row: exact below ``approximate_from``
    rows, approximate above. Returns the result and the backend used ("exact" or "faiss-ivf")."""
    if len(vectors) < approximate_from:
        return greedy_filter(vectors, threshold, show_progress=show_progress), "exact"
    return approximate_filter(vectors, threshold, show_progress=show_progress), "faiss-ivf"


class IVFKeptRows:
    """Kept rows in an 8-bit faiss IVF index (ids: row numbers), trained on a sample of ``vectors``."""

    def __init__(self, vectors: np.ndarray, *, nprobe: int = NPROBE, seed: int = 0) -> None:
        faiss = _faiss()
        n, dim = vectors.shape
        cells = max(1, min(n // TRAIN_PER_CELL, int(4 * math.sqrt(n))))
        self.index: Any = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatIP(dim), dim, cells, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        self.index.cp.niter = 10  # the cells only need to keep near rows together, not be optimal
        self.index.cp.min_points_per_centroid = 1
        rng = np.random.default_rng(seed)
        self.index.train(vectors[np.sort(rng.choice(n, min(n, TRAIN_PER_CELL * cells), replace=False))])
        self.index.nprobe = min(nprobe, cells)
        self.vectors = vectors

    def best(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not self.index.ntotal:
            return np.full(len(block), -np.inf, np.float32), np.full(len(block), -1, np.int64)
        _, ids = self.index.search(block, CANDIDATES)
        found = ids >= 0
        exact = np.full(ids.shape, -np.inf, np.float32)
        row, column = np.nonzero(found)
        exact[row, column] = np.einsum("ij,ij->i", block[row], self.vectors[ids[row, column]])
        best = exact.max(axis=1)
        # the most similar candidate; on a tie the earliest row, as greedy_filter
        last = np.iinfo(np.int64).max
        top = np.argmin(np.where((exact == best[:, None]) & found, ids, last), axis=1)
        rows = np.arange(len(block))
        return best, np.where(found[rows, top], ids[rows, top], -1)

    def add(self, vectors: np.ndarray, rows: np.ndarray) -> None:
        self.index.add_with_ids(vectors, rows.astype(np.int64))


def approximate_filter(
    vectors: np.ndarray,
    threshold: float,
    *,
    nprobe: int = NPROBE,
    seed: int = 0,
    show_progress: bool = False,
) -> GreedyFilterResult:
    """greedy_filter(vectors, threshold) with its kept rows in an approximate index (module docstring)."""
    check_threshold(threshold)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if len(vectors) == 0:
        return greedy_filter(vectors, threshold)
    kept_rows = IVFKeptRows(vectors, nprobe=nprobe, seed=seed)
    result = greedy_filter(
        vectors, threshold, kept_rows=kept_rows, block_rows=BLOCK_ROWS, show_progress=show_progress
    )
    del kept_rows
    release_free_memory()
    return result
