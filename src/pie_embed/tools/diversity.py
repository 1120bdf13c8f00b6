"""Greedy threshold filtering: keep a row only if no kept row is at least ``threshold`` similar.

One pass serves both near-duplicate removal (no limit) and DEITA-style diverse selection (stop at
``limit`` kept rows). Work runs in blocks of rows against the kept set, so memory stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pie_embed.errors import ConfigError
from pie_embed.progress import progress_bar

BLOCK = 512


@dataclass
class GreedyFilterResult:
    """Kept rows (in visiting order) and, for every row, the kept row that covers it.

    ``covered_by[i]`` is ``i`` for a kept row, the covering kept row for a dropped one and -1 for rows
    never visited because ``limit`` was reached; ``similarity[i]`` is the cosine to that row.
    """

    kept: np.ndarray
    covered_by: np.ndarray
    similarity: np.ndarray


def greedy_filter(
    vectors: np.ndarray,
    threshold: float,
    *,
    limit: int | None = None,
    order: np.ndarray | None = None,
    show_progress: bool = False,
) -> GreedyFilterResult:
    """Visit unit ``vectors`` in ``order`` (file order by default); keep each whose cosine to every
    kept row is below ``threshold``, until ``limit`` rows are kept."""
    if not -1.0 <= threshold <= 1.0:
        raise ConfigError(f"similarity threshold must be between -1 and 1, got {threshold}")
    n, dim = vectors.shape
    visit = np.arange(n) if order is None else np.asarray(order, dtype=np.int64)
    capacity = n if limit is None else min(limit, n)
    kept_vectors = np.empty((capacity, dim), np.float32)
    kept: list[int] = []
    covered_by = np.full(n, -1, np.int64)
    similarity = np.full(n, np.nan, np.float32)
    with progress_bar(n, "filtering", show_progress) as advance:
        for start in range(0, n, BLOCK):
            if len(kept) >= capacity:
                break
            rows = visit[start : start + BLOCK]
            block = vectors[rows]
            if kept:
                sims = block @ kept_vectors[: len(kept)].T
                owner = sims.argmax(axis=1)
                best = sims[np.arange(len(rows)), owner]
                owner = np.asarray(kept, np.int64)[owner]
            else:
                best = np.full(len(rows), -np.inf, np.float32)
                owner = np.full(len(rows), -1, np.int64)
            inner = block @ block.T
            for j, row in enumerate(rows):
                if best[j] >= threshold:
                    covered_by[row], similarity[row] = owner[j], best[j]
                    continue
                covered_by[row], similarity[row] = row, 1.0
                kept_vectors[len(kept)] = block[j]
                kept.append(int(row))
                if len(kept) >= capacity:
                    break
                later = inner[j, j + 1 :]
                closer = later > best[j + 1 :]
                best[j + 1 :] = np.where(closer, later, best[j + 1 :])
                owner[j + 1 :] = np.where(closer, row, owner[j + 1 :])
            advance(len(rows))
    return GreedyFilterResult(np.asarray(kept, np.int64), covered_by, similarity)
