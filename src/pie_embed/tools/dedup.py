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
HASH_BLOCK = 16_384
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


def identical_rows(vectors: np.ndarray) -> np.ndarray:
    """For every row, the first row with exactly the same vector (itself when it is the first)."""
    n = len(vectors)
    if n == 0:
        return np.zeros(0, np.int64)
    words = np.ascontiguousarray(vectors, dtype=np.float32).view(np.uint32)
    weights = np.random.default_rng(0).integers(1, 2**63, words.shape[1], dtype=np.uint64) | np.uint64(1)
    fingerprint = np.empty(n, np.uint64)
    for start in range(0, n, HASH_BLOCK):  # a 64-bit hash per row, wrapping: cheap, block by block
        block = words[start : start + HASH_BLOCK].astype(np.uint64)
        fingerprint[start : start + HASH_BLOCK] = (block * weights).sum(axis=1, dtype=np.uint64)
    order = np.argsort(fingerprint, kind="stable")  # equal hashes stay in file order
    sorted_hash = fingerprint[order]
    group_start = np.r_[True, sorted_hash[1:] != sorted_hash[:-1]]
    first = order[np.maximum.accumulate(np.where(group_start, np.arange(n), 0))]
    first_of = np.empty(n, np.int64)
    first_of[order] = first
    # a hash collision is not a copy: such rows stand for themselves
    for start in range(0, n, HASH_BLOCK):
        rows = np.arange(start, min(n, start + HASH_BLOCK))
        differs = (vectors[rows] != vectors[first_of[rows]]).any(axis=1)
        first_of[rows[differs]] = rows[differs]
    return first_of


def _ivf_index(vectors: np.ndarray, rows: np.ndarray, seed: int) -> Any:
    """An 8-bit IVF index of ``vectors[rows]`` (ids: the row numbers) with about 4 sqrt(rows) cells."""
    faiss = _faiss()
    n, dim = len(rows), vectors.shape[1]
    cells = max(1, min(n // TRAIN_PER_CELL, int(4 * math.sqrt(n))))
    index = faiss.IndexIVFScalarQuantizer(
        faiss.IndexFlatIP(dim), dim, cells, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    index.cp.niter = 10  # the cells only need to keep near rows together, not be optimal
    index.cp.min_points_per_centroid = 1
    rng = np.random.default_rng(seed)
    index.train(vectors[np.sort(rng.choice(rows, min(n, TRAIN_PER_CELL * cells), replace=False))])
    for start in range(0, n, QUERY_BLOCK):
        ids = rows[start : start + QUERY_BLOCK]
        index.add_with_ids(vectors[ids], ids.astype(np.int64))
    return index


def similar_pairs(
    vectors: np.ndarray,
    threshold: float,
    *,
    rows: np.ndarray | None = None,
    nprobe: int = NPROBE,
    seed: int = 0,
    show_progress: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (earlier, later) among ``rows`` (all rows by default) with exact cosine >= ``threshold``,
    found through an IVF index; sorted by earlier row."""
    rows = np.arange(len(vectors)) if rows is None else np.asarray(rows, np.int64)
    empty = (np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32))
    if len(rows) < 2:
        return empty
    index = _ivf_index(vectors, rows, seed)
    index.nprobe = min(nprobe, index.nlist)
    earlier, later, similarity = [empty[0]], [empty[1]], [empty[2]]
    with progress_bar(len(rows), "finding near-duplicates", show_progress) as advance:
        for start in range(0, len(rows), QUERY_BLOCK):
            queries = rows[start : start + QUERY_BLOCK]
            limits, _, ids = index.range_search(vectors[queries], threshold - CODE_MARGIN)
            first = np.repeat(queries, np.diff(limits.astype(np.int64)))
            ahead = ids > first
            first, ids = first[ahead], ids[ahead]
            for offset in range(0, len(first), PAIR_BLOCK):  # re-scored a slice at a time: bounded memory
                a, b = first[offset : offset + PAIR_BLOCK], ids[offset : offset + PAIR_BLOCK]
                exact = np.einsum("ij,ij->i", vectors[a], vectors[b])
                close = exact >= threshold
                earlier.append(a[close].astype(np.int32))
                later.append(b[close].astype(np.int32))
                similarity.append(exact[close].astype(np.float32))
            advance(len(queries))
    del index
    release_free_memory()
    return np.concatenate(earlier), np.concatenate(later), np.concatenate(similarity)


def greedy_over_pairs(
    n: int, earlier: np.ndarray, later: np.ndarray, similarity: np.ndarray
) -> GreedyFilterResult:
    """greedy_filter's rule applied to a list of similar pairs (sorted by earlier row): visiting rows in
    order, keep a row unless an earlier kept row is paired with it; a dropped row is covered by its most
    similar kept partner (the earliest on a tie, as greedy_filter)."""
    dropped = np.zeros(n, bool)
    heads, starts = np.unique(earlier, return_index=True)
    ends = np.r_[starts[1:], len(earlier)] if len(starts) else starts
    for head, start, end in zip(heads.tolist(), starts.tolist(), ends.tolist(), strict=True):
        if not dropped[head]:  # every row before it is decided, so it is kept: its later partners go
            dropped[later[start:end]] = True
    kept = ~dropped
    covered_by = np.arange(n, dtype=np.int64)
    best = np.ones(n, np.float32)
    by_kept = kept[earlier] & dropped[later]
    a, b, s = earlier[by_kept], later[by_kept], similarity[by_kept]
    order = np.lexsort((-a, s, b))  # per dropped row: highest similarity, then earliest kept row, last
    last = np.r_[b[order][1:] != b[order][:-1], True] if len(order) else np.zeros(0, bool)
    covered_by[b[order][last]] = a[order][last]
    best[b[order][last]] = s[order][last]
    return GreedyFilterResult(np.flatnonzero(kept), covered_by, best)


def approximate_filter(
    vectors: np.ndarray, threshold: float, *, nprobe: int = NPROBE, show_progress: bool = False
) -> GreedyFilterResult:
    """greedy_filter(vectors, threshold) through an approximate index (see the module docstring).

    Exact copies of a row are set aside first (a copy is always dropped and never blocks another row,
    so the kept rows do not change): a prompt repeated 30,000 times would otherwise give 450M pairs."""
    if not -1.0 <= threshold <= 1.0:
        raise ConfigError(f"similarity threshold must be between -1 and 1, got {threshold}")
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    first_of = identical_rows(vectors)
    originals = np.flatnonzero(first_of == np.arange(len(vectors)))
    earlier, later, similarity = similar_pairs(
        vectors, threshold, rows=originals, nprobe=nprobe, show_progress=show_progress
    )
    result = greedy_over_pairs(len(vectors), earlier, later, similarity)
    copies = np.flatnonzero(first_of != np.arange(len(vectors)))
    result.kept = result.kept[first_of[result.kept] == result.kept]
    _cover_copies(result, copies, first_of[copies], earlier, later, similarity)
    return result


def _cover_copies(
    result: GreedyFilterResult,
    copies: np.ndarray,
    originals: np.ndarray,
    earlier: np.ndarray,
    later: np.ndarray,
    similarity: np.ndarray,
) -> None:
    """Each copy's covering row as greedy_filter gives it: its original when that is kept, else the
    most similar row kept before the copy among the original's partners (the earliest on a tie)."""
    kept = np.zeros(len(result.covered_by), bool)
    kept[result.kept] = True
    result.covered_by[copies], result.similarity[copies] = originals, 1.0
    dropped = ~kept[originals]
    if not dropped.any():
        return
    # every kept partner of every original, both directions of a pair
    owner = np.r_[later[kept[earlier]], earlier[kept[later]]]
    partner = np.r_[earlier[kept[earlier]], later[kept[later]]]
    score = np.r_[similarity[kept[earlier]], similarity[kept[later]]]
    order = np.lexsort((partner, owner))
    owner, partner, score = owner[order], partner[order], score[order]
    for copy, original in zip(copies[dropped].tolist(), originals[dropped].tolist(), strict=True):
        lo, hi = np.searchsorted(owner, original), np.searchsorted(owner, original, side="right")
        before = partner[lo:hi] < copy
        candidates, scores = partner[lo:hi][before], score[lo:hi][before]
        best = int(np.argmax(scores))  # argmax takes the first maximum: the earliest partner
        result.covered_by[copy], result.similarity[copy] = candidates[best], scores[best]
