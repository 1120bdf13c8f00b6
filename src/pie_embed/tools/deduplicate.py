"""Deduplication as a tool of its own (what semhash users expect): every row that is not a near-duplicate
or an outlier is kept with all its fields, and every removed row says why, which row it repeats and how
similar they are.

- :func:`deduplicate`: records in memory (strings, dicts, a pandas DataFrame or a Hugging Face
  ``datasets.Dataset``) in, a :class:`DeduplicationResult` out; :meth:`DeduplicationResult.rethreshold`
  tries another threshold without embedding again.
- :func:`dedup_file`: `pie dedup`, a file in, the kept rows in the file's own format and an explanation
  file (``<output>.duplicates.jsonl``) out, streamed for files of millions of rows.

Both, and `pie select --dedup`, find duplicates and outliers through :mod:`pie_embed.tools.duplicates`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pie_embed.data.atomic import write_json
from pie_embed.data.records import write_records
from pie_embed.data.source import InstructionSource, as_source
from pie_embed.data.subsets import default_subset_path, write_subset
from pie_embed.embedding.encoder import TextEncoder, default_encoder
from pie_embed.embedding.normalize import unit_rows
from pie_embed.errors import ConfigError, DataError
from pie_embed.tools.duplicates import Duplicates, Outliers, check_threshold, find_duplicates, find_outliers
from pie_embed.tools.records import record_texts
from pie_embed.tools.vectors import embed_rows

DEFAULT_THRESHOLD = 0.9  # semhash's default too; docs/tools.md "Deduplication" shows the pairs it removes


@dataclass(frozen=True)
class DuplicateRecord:
    """A record removed as a near-duplicate of an earlier kept record."""

    record: Any
    index: int
    duplicate_of: int  # index of the kept record it repeats
    duplicate_of_record: Any
    similarity: float  # their cosine


@dataclass(frozen=True)
class OutlierRecord:
    """A record removed as an outlier: far from every other kept record."""

    record: Any
    index: int
    score: float  # 1 - mean cosine to its nearest kept records


@dataclass
class DeduplicationResult:
    """The kept records (``selected``, in the input's type and order), the removed ones with their reasons,
    and the vectors, so that :meth:`rethreshold` needs no new embedding."""

    selected: Any
    selected_indices: list[int]
    duplicates: list[DuplicateRecord]
    outliers: list[OutlierRecord]
    threshold: float
    outlier_fraction: float
    backend: str
    vectors: np.ndarray = field(repr=False)
    _records: list[Any] = field(repr=False)
    _take: Callable[[list[int]], Any] = field(repr=False)

    @property
    def total(self) -> int:
        return len(self._records)

    @property
    def selected_ratio(self) -> float:
        return len(self.selected_indices) / self.total if self.total else 0.0

    @property
    def duplicate_ratio(self) -> float:
        return len(self.duplicates) / self.total if self.total else 0.0

    @property
    def outlier_ratio(self) -> float:
        return len(self.outliers) / self.total if self.total else 0.0

    def least_similar_duplicates(self, n: int = 10) -> list[DuplicateRecord]:
        """The ``n`` removed pairs closest to the threshold: read them to judge whether it is too low."""
        return sorted(self.duplicates, key=lambda d: (d.similarity, d.index))[:n]

    def rethreshold(self, threshold: float, *, outliers: float | None = None) -> DeduplicationResult:
        """The same records deduplicated at another ``threshold`` (and outlier fraction), from the vectors
        already computed."""
        fraction = self.outlier_fraction if outliers is None else outliers
        return _result(self._records, self._take, self.vectors, threshold, fraction)

    def summary(self) -> dict[str, Any]:
        return {
            "input_rows": self.total,
            "kept": len(self.selected_indices),
            "duplicates": len(self.duplicates),
            "outliers": len(self.outliers),
            "threshold": self.threshold,
            "outlier_fraction": self.outlier_fraction,
            "backend": self.backend,
        }


def _as_records(data: Any) -> tuple[list[Any], Callable[[list[int]], Any]]:
    """The records of ``data`` and how to take rows of it in its own type (DataFrame, Dataset, list)."""
    if hasattr(data, "iloc") and hasattr(data, "to_dict"):  # a pandas DataFrame
        return data.to_dict("records"), lambda rows: data.iloc[rows]
    if hasattr(data, "select") and hasattr(data, "column_names"):  # a datasets.Dataset
        return data.to_list(), lambda rows: data.select(rows)
    if isinstance(data, (str, bytes, dict)):
        raise ConfigError("deduplicate takes a list of records (strings or dicts), a DataFrame or a Dataset")
    records = list(data)
    return records, lambda rows: [records[i] for i in rows]


def _result(
    records: list[Any],
    take: Callable[[list[int]], Any],
    vectors: np.ndarray,
    threshold: float,
    outliers: float,
    *,
    show_progress: bool = False,
) -> DeduplicationResult:
    duplicates = find_duplicates(vectors, threshold, show_progress=show_progress)
    found = find_outliers(vectors, duplicates.kept, outliers)
    kept = np.setdiff1d(duplicates.kept, found.rows).tolist()
    return DeduplicationResult(
        selected=take(kept),
        selected_indices=kept,
        duplicates=[
            DuplicateRecord(records[i], i, j, records[j], round(float(s), 4))
            for i, j, s in zip(
                duplicates.removed.tolist(),
                duplicates.duplicate_of.tolist(),
                duplicates.similarity,
                strict=True,
            )
        ],
        outliers=[
            OutlierRecord(records[i], i, round(float(s), 4))
            for i, s in zip(found.rows.tolist(), found.scores, strict=True)
        ],
        threshold=duplicates.threshold,
        outlier_fraction=outliers,
        backend=duplicates.backend,
        vectors=vectors,
        _records=records,
        _take=take,
    )


def deduplicate(
    records: Any,
    *,
    columns: Sequence[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    outliers: float = 0.0,
    embedder: TextEncoder | None = None,
    vectors: np.ndarray | None = None,
    show_progress: bool = False,
) -> DeduplicationResult:
    """Remove near-duplicates (cosine at least ``threshold`` to an earlier kept record; the earliest of a
    group stays) and, with ``outliers`` > 0, that fraction of the remaining records farthest from all
    others.

    ``records``: strings, dicts whose ``columns`` hold the text (several columns are joined by
    newlines, e.g. ``["instruction", "input"]``), a pandas DataFrame or a ``datasets.Dataset``;
    ``selected`` comes back in the same type. ``vectors`` (one row per record) skips the embedding.

    >>> result = deduplicate(rows, columns=["instruction", "input"], threshold=0.95)
    >>> result.selected, result.duplicates[0].similarity, result.rethreshold(0.9).duplicate_ratio
    """
    check_threshold(threshold)
    rows, take = _as_records(records)
    if not rows:
        raise DataError("no records to deduplicate")
    if vectors is None:
        texts = record_texts(rows, columns)
        vectors = (embedder or default_encoder()).encode(texts)
    elif len(vectors) != len(rows):
        raise DataError(f"vectors has {len(vectors)} rows but there are {len(rows)} records")
    vectors = unit_rows(np.asarray(vectors, dtype=np.float32))
    return _result(rows, take, vectors, threshold, outliers, show_progress=show_progress)


@dataclass
class DedupReport:
    """What `pie dedup` did (also written as ``<output>.report.json``)."""

    input: str
    output: str
    explanation: str
    input_rows: int
    kept: int
    duplicates: int
    outliers: int
    threshold: float
    outlier_fraction: float
    backend: str
    settings: dict[str, Any]


@dataclass
class DedupFileResult:
    output: Path
    explanation_path: Path
    report_path: Path
    duplicates: Duplicates
    outliers: Outliers
    report: DedupReport


def explanation_rows(
    lines: np.ndarray, texts: list[str], duplicates: Duplicates, outliers: Outliers
) -> list[dict[str, Any]]:
    """One row per removed row, in file order: a duplicate names the kept row it repeats (row numbers
    from 0, lines as the reader counts them), their cosine and both texts; an outlier its score."""
    explained: list[tuple[int, dict[str, Any]]] = []
    for row, of, similarity in zip(
        duplicates.removed.tolist(), duplicates.duplicate_of.tolist(), duplicates.similarity, strict=True
    ):
        entry = {
            "row": row,
            "line": int(lines[row]),
            "reason": "duplicate",
            "duplicate_of": of,
            "duplicate_of_line": int(lines[of]),
            "similarity": round(float(similarity), 4),
            "text": texts[row],
            "duplicate_of_text": texts[of],
        }
        explained.append((row, entry))
    for row, score in zip(outliers.rows.tolist(), outliers.scores, strict=True):
        entry = {"row": row, "line": int(lines[row]), "reason": "outlier", "score": round(float(score), 4)}
        explained.append((row, {**entry, "text": texts[row]}))
    return [entry for _, entry in sorted(explained, key=lambda item: item[0])]


def dedup_file(
    source: InstructionSource | str | Path,
    output: str | Path | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    outliers: float = 0.0,
    embedder: TextEncoder | None = None,
    embeddings: str | Path | None = None,
    show_progress: bool = False,
    **reader_options: Any,
) -> DedupFileResult:
    """`pie dedup`: write every row of ``source`` that is neither a near-duplicate nor an outlier to
    ``output`` (default ``<stem>.dedup.<ext>``) in the input's own format with every field, the removed
    rows to ``<output>.duplicates.jsonl`` (:func:`explanation_rows`) and a summary to
    ``<output>.report.json``. The file is streamed: vectors and texts are held, records only for the
    kept rows."""
    check_threshold(threshold)
    if not 0.0 <= outliers < 1.0:
        raise ConfigError(f"--outliers must be at least 0 and below 1, got {outliers}")
    source = as_source(source, reader_options, caller="dedup_file")
    if output is not None and Path(output).resolve() == source.path.resolve():
        raise ConfigError(f"{output}: the output would overwrite the input; choose another -o")
    data = embed_rows(
        source, embedder=embedder, embeddings=embeddings, keep_texts=True, show_progress=show_progress
    )
    duplicates = find_duplicates(data.vectors, threshold, show_progress=show_progress)
    found = find_outliers(data.vectors, duplicates.kept, outliers)
    kept = np.setdiff1d(duplicates.kept, found.rows).tolist()
    chosen = data.rows_at(kept)
    out = Path(output) if output is not None else default_subset_path(chosen, "dedup")
    explanation = out.with_name(out.name + ".duplicates.jsonl")
    report_path = out.with_name(out.name + ".report.json")
    assert data.texts is not None
    report = DedupReport(
        input=str(source.path),
        output=str(out),
        explanation=str(explanation),
        input_rows=len(data),
        kept=len(kept),
        duplicates=len(duplicates),
        outliers=len(found),
        threshold=duplicates.threshold,
        outlier_fraction=outliers,
        backend=duplicates.backend,
        settings=dict(data.settings),
    )
    write_subset(chosen, kept, out, field=source.field)
    write_records(explanation, explanation_rows(data.lines, data.texts, duplicates, found))
    write_json(report_path, report)
    return DedupFileResult(out, explanation, report_path, duplicates, found, report)
