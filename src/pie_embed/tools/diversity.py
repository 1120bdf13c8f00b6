"""Greedy threshold filtering: keep a row only if no kept row is at least ``threshold`` similar.

One pass serves both near-duplicate removal (no limit) and DEITA-style diverse selection (stop at
``limit`` kept rows). Work runs in blocks of rows against the kept set, so memory stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

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


class KeptRows(Protocol):
    """Where greedy_filter keeps the rows it has kept: each block of later rows asks it for its most
    similar kept row."""

    def best(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each row of ``block``: the highest cosine to a kept row and that row (-inf, -1 if none)."""
        ...

    def add(self, vectors: np.ndarray, rows: np.ndarray) -> None: ...


class ExactKeptRows:
    """Kept rows in a matrix, compared exactly (the earliest kept row wins a tie)."""

    def __init__(self, capacity: int, dim: int) -> None:
        self.vectors = np.empty((capacity, dim), np.float32)
        self.rows = np.empty(capacity, np.int64)
        self.count = 0

    def best(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not self.count:
            return np.full(len(block), -np.inf, np.float32), np.full(len(block), -1, np.int64)
        sims = block @ self.vectors[: self.count].T
        owner = sims.argmax(axis=1)
        return sims[np.arange(len(block)), owner], self.rows[owner]

    def add(self, vectors: np.ndarray, rows: np.ndarray) -> None:
        self.vectors[self.count : self.count + len(rows)] = vectors
        self.rows[self.count : self.count + len(rows)] = rows
        self.count += len(rows)


def check_threshold(threshold: float) -> float:
    """``threshold`` as a float, or a one-line error when it is not a cosine (between -1 and 1)."""
    if not -1.0 <= threshold <= 1.0:
        raise ConfigError(f"similarity threshold must be between -1 and 1, got {threshold}")
    return float(threshold)


def greedy_filter(
    vectors: np.ndarray,
    threshold: float,
    *,
    limit: int | None = None,
    order: np.ndarray | None = None,
    kept_rows: KeptRows | None = None,
    block_rows: int | None = None,
    show_progress: bool = False,
) -> GreedyFilterResult:
    """Visit unit ``vectors`` in ``order`` (file order by default); keep each whose cosine to every
    kept row is below ``threshold``, until ``limit`` rows are kept. ``kept_rows`` holds the kept rows
    (exactly, in a matrix, by default; :mod:`pie_embed.tools.dedup` passes an approximate index)."""
    check_threshold(threshold)
    n, dim = vectors.shape
    visit = np.arange(n) if order is None else np.asarray(order, dtype=np.int64)
    capacity = n if limit is None else min(limit, n)
    kept_rows = kept_rows or ExactKeptRows(capacity, dim)
    size = block_rows or BLOCK
    kept: list[int] = []
    covered_by = np.full(n, -1, np.int64)
    similarity = np.full(n, np.nan, np.float32)
    with progress_bar(n, "filtering", show_progress) as advance:
        for start in range(0, n, size):
            if len(kept) >= capacity:
                break
            rows = visit[start : start + size]
            block = vectors[rows]
            best, owner = kept_rows.best(block)
            inner = block @ block.T
            new: list[int] = []
            for j, row in enumerate(rows):
                if best[j] >= threshold:
                    covered_by[row], similarity[row] = owner[j], best[j]
                    continue
                covered_by[row], similarity[row] = row, 1.0
                new.append(j)
                kept.append(int(row))
                if len(kept) >= capacity:
                    break
                later = inner[j, j + 1 :]
                closer = later > best[j + 1 :]
                best[j + 1 :] = np.where(closer, later, best[j + 1 :])
                owner[j + 1 :] = np.where(closer, row, owner[j + 1 :])
            if new:
                kept_rows.add(block[new], rows[new])
            advance(len(rows))
    return GreedyFilterResult(np.asarray(kept, np.int64), covered_by, similarity)
