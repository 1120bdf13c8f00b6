"""Near-duplicate removal for inputs too large for the exact greedy pass.

:func:`~pie_embed.tools.diversity.greedy_filter` compares every row with every kept row, which is
O(rows x kept) and hours at a million mostly distinct rows. Here each row's neighbours at cosine >=
threshold come from a faiss inverted-file index (8-bit scalar-quantised codes, a quarter of the vectors'
memory; semhash deduplicates with an approximate index the same way), are re-scored exactly, and the
greedy rule of file order is then applied to those pairs: a row is dropped when an earlier *kept* row is
among its neighbours. With complete neighbour lists that is exactly greedy_filter's result; the index
may miss a pair whose rows fall in cells it does not probe (recall is measured in BENCHMARKS.md).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from pie_embed.embedding.memory import release_free_memory
from pie_embed.errors import ConfigError
from pie_embed.progress import progress_bar
from pie_embed.tools.diversity import GreedyFilterResult, greedy_filter
from pie_embed.tools.neighbors import _faiss

# from this many rows on, dedup_filter uses the approximate index (the exact pass takes ~20 s at 100k)
APPROXIMATE_FROM = 100_000
# cells probed per query; see BENCHMARKS.md for recall against the exact pass
NPROBE = 8
# range searched below the threshold so that 8-bit codes do not lose pairs just above it
CODE_MARGIN = 0.02
QUERY_BLOCK = 10_000
PAIR_BLOCK = 65_536
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


def _ivf_index(vectors: np.ndarray, seed: int) -> Any:
    """An 8-bit IVF index of ``vectors`` with about 4 sqrt(rows) cells, trained on a sample."""
    faiss = _faiss()
    n, dim = vectors.shape
    cells = max(1, min(n // TRAIN_PER_CELL, int(4 * math.sqrt(n))))
    index = faiss.IndexIVFScalarQuantizer(
        faiss.IndexFlatIP(dim), dim, cells, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    index.cp.niter = 10  # the cells only need to keep near rows together, not be optimal
    index.cp.min_points_per_centroid = 1
    rng = np.random.default_rng(seed)
    index.train(vectors[np.sort(rng.choice(n, min(n, TRAIN_PER_CELL * cells), replace=False))])
    for start in range(0, n, QUERY_BLOCK):
        index.add(vectors[start : start + QUERY_BLOCK])
    return index


def similar_pairs(
    vectors: np.ndarray, threshold: float, *, nprobe: int = NPROBE, seed: int = 0, show_progress: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (earlier, later) of rows with exact cosine >= ``threshold``, found through an IVF index;
    sorted by earlier row."""
    index = _ivf_index(vectors, seed)
    index.nprobe = min(nprobe, index.nlist)
    earlier, later, similarity = [], [], []
    with progress_bar(len(vectors), "finding near-duplicates", show_progress) as advance:
        for start in range(0, len(vectors), QUERY_BLOCK):
            block = vectors[start : start + QUERY_BLOCK]
            limits, _, ids = index.range_search(block, threshold - CODE_MARGIN)
            rows = start + np.repeat(np.arange(len(block)), np.diff(limits.astype(np.int64)))
            ahead = ids > rows
            rows, ids = rows[ahead], ids[ahead]
            for first in range(0, len(rows), PAIR_BLOCK):  # re-scored a slice at a time: bounded memory
                a, b = rows[first : first + PAIR_BLOCK], ids[first : first + PAIR_BLOCK]
                exact = np.einsum("ij,ij->i", vectors[a], vectors[b])
                close = exact >= threshold
                earlier.append(a[close].astype(np.int32))
                later.append(b[close].astype(np.int32))
                similarity.append(exact[close].astype(np.float32))
            advance(len(block))
    del index
    release_free_memory()
    return np.concatenate(earlier), np.concatenate(later), np.concatenate(similarity)


def greedy_over_pairs(
    n: int, earlier: np.ndarray, later: np.ndarray, similarity: np.ndarray
) -> GreedyFilterResult:
    """greedy_filter's rule applied to a list of similar pairs: visiting rows in order, keep a row
    unless an earlier kept row is paired with it. Decided in rounds (a row is decided once all its
    earlier partners are), so the work is vectorised over the pairs."""
    kept = np.zeros(n, bool)
    dropped = np.zeros(n, bool)
    a, b = earlier, later
    while True:
        undecided = ~(kept | dropped)
        if not undecided.any():
            break
        live = undecided[b]  # pairs whose later row is decided no longer matter
        a, b = a[live], b[live]
        killed = np.zeros(n, bool)
        killed[b[kept[a]]] = True
        pending = np.zeros(n, bool)
        pending[b[~(kept[a] | dropped[a])]] = True
        dropped |= undecided & killed
        kept |= undecided & ~killed & ~pending
    covered_by = np.arange(n, dtype=np.int64)
    best = np.ones(n, np.float32)
    by_kept = kept[earlier] & dropped[later]
    a, b, s = earlier[by_kept], later[by_kept], similarity[by_kept]
    order = np.lexsort((s, b))  # per dropped row, its most similar kept partner last
    last = np.r_[b[order][1:] != b[order][:-1], True]
    covered_by[b[order][last]] = a[order][last]
    best[b[order][last]] = s[order][last]
    return GreedyFilterResult(np.flatnonzero(kept), covered_by, best)


def approximate_filter(
    vectors: np.ndarray, threshold: float, *, nprobe: int = NPROBE, show_progress: bool = False
) -> GreedyFilterResult:
    """greedy_filter(vectors, threshold) through an approximate index (see the module docstring)."""
    if not -1.0 <= threshold <= 1.0:
        raise ConfigError(f"similarity threshold must be between -1 and 1, got {threshold}")
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    earlier, later, similarity = similar_pairs(vectors, threshold, nprobe=nprobe, show_progress=show_progress)
    return greedy_over_pairs(len(vectors), earlier, later, similarity)
