"""Near-duplicates and outliers among unit vectors: the one implementation behind `pie dedup`,
`pie select --dedup` and :func:`~pie_embed.tools.deduplicate.deduplicate`.

A row is a near-duplicate when an earlier kept row is at least ``threshold`` cosine-similar (the earliest
row of a group is kept, so the result does not depend on anything but the order of the rows). An
outlier is a kept row far from every other: its score is one minus the mean cosine to its nearest
kept rows, and the given fraction with the highest scores goes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from pie_embed.errors import ConfigError
from pie_embed.tools.dedup import dedup_filter
from pie_embed.tools.diversity import check_threshold
from pie_embed.tools.neighbors import nearest_neighbors, one_shot_index, search_excluding

OUTLIER_NEIGHBORS = 10  # nearest kept rows averaged into a row's outlier score
# float32 rounding: a unit vector's cosine to its own copy can come out just under 1.0
TOLERANCE = 1e-6


@dataclass
class Duplicates:
    """The rows kept and, for every removed row, the kept row it duplicates and their cosine.

    With a reference set (:func:`find_duplicates` ``reference=``), a removed row may instead duplicate a
    reference row: ``in_reference`` says which, and ``duplicate_of`` is then a row of the reference."""

    threshold: float
    kept: np.ndarray  # row numbers, ascending
    removed: np.ndarray  # row numbers, ascending
    duplicate_of: np.ndarray  # the kept row (or reference row) each removed row duplicates
    similarity: np.ndarray  # the cosine of each removed row to that row
    backend: str  # "exact" or "faiss-ivf"
    in_reference: np.ndarray | None = None  # per removed row: whether it duplicates a reference row

    def __len__(self) -> int:
        return len(self.removed)

    def as_dict(self) -> dict[int, int]:
        """Removed row -> the kept row it duplicates."""
        return dict(zip(self.removed.tolist(), self.duplicate_of.tolist(), strict=True))

    def pairs(self) -> Iterator[tuple[int, int, float, bool]]:
        """(removed row, the row it duplicates, their cosine, whether that row is the reference's)."""
        outside = self.in_reference if self.in_reference is not None else np.zeros(len(self), bool)
        return zip(
            self.removed.tolist(),
            self.duplicate_of.tolist(),
            self.similarity.tolist(),
            outside.tolist(),
            strict=True,
        )

    def repeated_rows(self) -> np.ndarray:
        """The kept rows that removed rows duplicate (not those of a reference)."""
        own = self.duplicate_of if self.in_reference is None else self.duplicate_of[~self.in_reference]
        return np.unique(own)

    def similarities(self) -> dict[int, float]:
        """Removed row -> its cosine to the row it duplicates (4 decimals)."""
        return {int(r): round(float(s), 4) for r, s in zip(self.removed, self.similarity, strict=True)}


@dataclass
class Outliers:
    """The rows removed as outliers, most isolated first, with their scores."""

    fraction: float
    rows: np.ndarray
    scores: np.ndarray  # 1 - mean cosine to the row's nearest kept rows
    neighbors: int

    def __len__(self) -> int:
        return len(self.rows)


def check_fraction(fraction: float, name: str = "outlier fraction") -> float:
    """``fraction`` as a float, or a one-line error naming ``name`` when it is not in [0, 1)."""
    if not 0.0 <= fraction < 1.0:
        raise ConfigError(f"{name} must be at least 0 and below 1, got {fraction}")
    return float(fraction)


def find_duplicates(
    vectors: np.ndarray,
    threshold: float,
    *,
    reference: np.ndarray | None = None,
    show_progress: bool = False,
) -> Duplicates:
    """The near-duplicates among unit ``vectors`` at cosine ``threshold`` (exact below 100,000 rows,
    a faiss index above: :func:`~pie_embed.tools.dedup.dedup_filter`).

    With ``reference`` (unit vectors of another set, a training set when ``vectors`` are a test set's),
    rows at least ``threshold`` similar to a reference row go first, and the rest are deduplicated among
    themselves."""
    check_threshold(threshold)
    rows = np.arange(len(vectors))
    from_reference = np.zeros(len(vectors), bool)
    reference_row = np.full(len(vectors), -1, np.int64)
    reference_similarity = np.zeros(len(vectors), np.float32)
    if reference is not None and len(reference) and len(vectors):
        similarities, ids = nearest_neighbors(np.ascontiguousarray(reference, np.float32), vectors, 1)
        from_reference = similarities[:, 0] >= threshold - TOLERANCE
        reference_row, reference_similarity = ids[:, 0], similarities[:, 0]
    rest = rows[~from_reference]
    remaining = vectors[rest] if from_reference.any() else vectors  # no copy of a million rows for nothing
    result, backend = dedup_filter(remaining, max(-1.0, threshold - TOLERANCE), show_progress=show_progress)
    covered_by = np.full(len(vectors), -1, np.int64)
    similarity = np.ones(len(vectors), np.float32)
    covered_by[rest], similarity[rest] = rest[result.covered_by], result.similarity
    covered_by[from_reference] = reference_row[from_reference]
    similarity[from_reference] = reference_similarity[from_reference]
    removed = np.flatnonzero(from_reference | (covered_by != rows))
    return Duplicates(
        threshold=float(threshold),
        kept=np.sort(rest[result.kept]),
        removed=removed,
        duplicate_of=covered_by[removed],
        similarity=similarity[removed],
        backend=backend,
        in_reference=from_reference[removed] if reference is not None else None,
    )


def find_outliers(
    vectors: np.ndarray,
    rows: np.ndarray,
    fraction: float,
    *,
    neighbors: int = OUTLIER_NEIGHBORS,
    protected: np.ndarray | None = None,
) -> Outliers:
    """The ``fraction`` of ``rows`` (of unit ``vectors``) farthest from their ``neighbors`` nearest other
    rows among ``rows``: isolated instructions, often broken or off every task in the data. Rows in
    ``protected`` (those that removed duplicates repeat, so not isolated) are never chosen."""
    check_fraction(fraction)
    rows = np.asarray(rows, np.int64)
    count = min(int(round(fraction * len(rows))), len(rows) - 1)  # at least one row stays
    if count == 0 or len(rows) < 2:
        return Outliers(fraction, np.zeros(0, np.int64), np.zeros(0, np.float32), neighbors)
    base = np.ascontiguousarray(vectors[rows], dtype=np.float32)
    k = min(neighbors, len(rows) - 1)
    index = one_shot_index(base, len(base))
    similarities, _ = search_excluding(index, base, k, np.arange(len(base)))
    found = np.isfinite(similarities)  # an approximate index may return fewer than k neighbours
    scores = 1.0 - np.where(found, similarities, 0.0).sum(axis=1) / np.maximum(found.sum(axis=1), 1)
    if protected is not None and len(protected):
        shielded = np.isin(rows, protected)
        scores = np.where(shielded, -np.inf, scores)
        count = min(count, int((~shielded).sum()))
    # the highest scores; on a tie the later row goes first, so the earliest rows stay
    order = np.lexsort((-np.arange(len(rows)), -scores))[:count]
    return Outliers(fraction, rows[order], scores[order].astype(np.float32), k)


@dataclass
class Removal:
    """What deduplication removes from a set of rows, and the rows it keeps (ascending)."""

    duplicates: Duplicates
    outliers: Outliers
    kept: list[int]


def find_removals(
    vectors: np.ndarray,
    threshold: float,
    outliers: float = 0.0,
    *,
    reference: np.ndarray | None = None,
    show_progress: bool = False,
) -> Removal:
    """Near-duplicates first (:func:`find_duplicates`), then the ``outliers`` fraction of the rows left
    (:func:`find_outliers`), never a row that a removed duplicate repeats."""
    duplicates = find_duplicates(vectors, threshold, reference=reference, show_progress=show_progress)
    found = find_outliers(vectors, duplicates.kept, outliers, protected=duplicates.repeated_rows())
    return Removal(duplicates, found, np.setdiff1d(duplicates.kept, found.rows).tolist())
