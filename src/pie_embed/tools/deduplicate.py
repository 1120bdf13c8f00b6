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
from pie_embed.data.readers import detect_format
from pie_embed.data.records import RECORD_SUFFIXES, write_records
from pie_embed.data.source import InstructionSource, as_source
from pie_embed.data.subsets import default_subset_path, write_source_subset
from pie_embed.embedding.encoder import TextEncoder, default_encoder
from pie_embed.embedding.normalize import unit_rows
from pie_embed.errors import ConfigError, DataError
from pie_embed.tools.diversity import check_threshold
from pie_embed.tools.duplicates import Duplicates, Outliers, check_fraction, find_removals
from pie_embed.tools.records import record_texts
from pie_embed.tools.vectors import EmbeddedRows, embed_rows

DEFAULT_THRESHOLD = 0.9  # semhash's default too; docs/tools.md "Deduplication" shows the pairs it removes


@dataclass(frozen=True)
class DuplicateRecord:
    """A record removed as a near-duplicate of an earlier kept record."""

    record: Any
    index: int
    duplicate_of: int  # index of the kept record it repeats (of the reference's, with in_reference)
    duplicate_of_record: Any
    similarity: float  # their cosine
    in_reference: bool = False  # it repeats a record of deduplicate(..., against=)


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
    _reference: tuple[list[Any], np.ndarray] | None = field(default=None, repr=False)

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
        return _result(
            self._records, self._take, self.vectors, threshold, fraction, reference=self._reference
        )

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
    reference: tuple[list[Any], np.ndarray] | None = None,
    show_progress: bool = False,
) -> DeduplicationResult:
    removal = find_removals(
        vectors,
        threshold,
        outliers,
        reference=None if reference is None else reference[1],
        show_progress=show_progress,
    )
    duplicates, found, kept = removal.duplicates, removal.outliers, removal.kept
    repeated = []
    for i, j, similarity, in_reference in duplicates.pairs():
        of = reference[0][j] if in_reference and reference is not None else records[j]
        repeated.append(
            DuplicateRecord(records[i], i, j, of, round(float(similarity), 4), bool(in_reference))
        )
    return DeduplicationResult(
        selected=take(kept),
        selected_indices=kept,
        duplicates=repeated,
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
        _reference=reference,
    )


def deduplicate(
    records: Any,
    *,
    columns: Sequence[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    outliers: float = 0.0,
    embedder: TextEncoder | None = None,
    vectors: np.ndarray | None = None,
    against: Any = None,
    show_progress: bool = False,
) -> DeduplicationResult:
    """Remove near-duplicates (cosine at least ``threshold`` to an earlier kept record; the earliest of a
    group stays) and, with ``outliers`` > 0, that fraction of the remaining records farthest from all
    others.

    ``records``: strings, dicts whose ``columns`` hold the text (several columns are joined by
    newlines, e.g. ``["instruction", "input"]``), a pandas DataFrame or a ``datasets.Dataset``;
    ``selected`` comes back in the same type. ``vectors`` (one row per record) skips the embedding.
    ``against`` (records of the same kinds, e.g. a training set when ``records`` is a test set) first
    removes every record that repeats one of them (``DuplicateRecord.in_reference``).

    >>> result = deduplicate(rows, columns=["instruction", "input"], threshold=0.95)
    >>> result.selected, result.duplicates[0].similarity, result.rethreshold(0.9).duplicate_ratio
    """
    check_threshold(threshold)
    check_fraction(outliers, "--outliers")
    rows, take = _as_records(records)
    if not rows:
        raise DataError("no records to deduplicate")
    encoder = embedder
    if encoder is None and (vectors is None or against is not None):
        encoder = default_encoder()
    if vectors is None:
        vectors = encoder.encode(record_texts(rows, columns))  # type: ignore[union-attr]
    elif len(vectors) != len(rows):
        raise DataError(f"vectors has {len(vectors)} rows but there are {len(rows)} records")
    vectors = unit_rows(np.asarray(vectors, dtype=np.float32))
    reference = None
    if against is not None:
        others, _ = _as_records(against)
        if not others:
            raise DataError("against= has no records")
        try:
            encoded = encoder.encode(record_texts(others, columns))  # type: ignore[union-attr]
        except DataError as error:
            raise DataError(f"against: {error}") from None
        if encoded.shape[1] != vectors.shape[1]:
            raise DataError(
                f"against: the embedder gives {encoded.shape[1]}-d vectors, the given vectors are "
                f"{vectors.shape[1]}-d; pass the embedder that made them"
            )
        reference = (others, unit_rows(np.asarray(encoded, dtype=np.float32)))
    return _result(rows, take, vectors, threshold, outliers, reference=reference, show_progress=show_progress)


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
    against: str | None = None  # the reference file of --against
    in_reference: int = 0  # rows removed because they repeat a row of it


@dataclass
class DedupFileResult:
    output: Path
    explanation_path: Path
    report_path: Path
    duplicates: Duplicates
    outliers: Outliers
    report: DedupReport


def explanation_rows(
    data: EmbeddedRows, duplicates: Duplicates, outliers: Outliers, reference: EmbeddedRows | None = None
) -> list[dict[str, Any]]:
    """One row per removed row of ``data``, in file order: a duplicate names the row it repeats (row
    numbers from 0, lines as the reader counts them), their cosine and both texts; a row that repeats a
    row of ``reference`` says so ("reason": "reference", and the reference file); an outlier its score."""
    assert data.texts is not None
    texts, lines = data.texts, data.lines
    explained: list[tuple[int, dict[str, Any]]] = []
    for row, of, similarity, in_reference in duplicates.pairs():
        origin = reference if in_reference and reference is not None else data
        assert origin.texts is not None
        entry = {
            "row": row,
            "line": int(lines[row]),
            "reason": "reference" if in_reference else "duplicate",
            **({"reference": str(origin.path)} if in_reference else {}),
            "duplicate_of": of,
            "duplicate_of_line": int(origin.lines[of]),
            "similarity": round(float(similarity), 4),
            "text": texts[row],
            "duplicate_of_text": origin.texts[of],
        }
        explained.append((row, entry))
    for row, score in zip(outliers.rows.tolist(), outliers.scores, strict=True):
        entry = {"row": row, "line": int(lines[row]), "reason": "outlier", "score": round(float(score), 4)}
        explained.append((row, {**entry, "text": texts[row]}))
    return [entry for _, entry in sorted(explained, key=lambda item: item[0])]


def check_output(output: Path, source: InstructionSource) -> None:
    """One line before any work when ``output`` cannot be written as a subset of ``source``."""
    if output.resolve() == source.path.resolve():
        raise ConfigError(f"{output}: the output would overwrite the input; choose another -o")
    folder = source.path.exists() and detect_format(source.path) == "hf-dataset"
    if output.is_dir() and not folder:
        raise ConfigError(f"{output}: is a folder; name a file")
    if output.suffix.lower() not in RECORD_SUFFIXES and not folder:
        raise ConfigError(
            f"{output}: unsupported output type {output.suffix or '(no suffix)'!r}; "
            f"use one of {', '.join(RECORD_SUFFIXES)}"
        )


def _check_second_column(source: InstructionSource, rows: int = 1_000) -> None:
    """A one-line error when no row among the first ``rows`` has the second column (a misspelt
    ``--columns`` would otherwise compare the first column alone)."""
    first = next(iter(source.iter(rows)), [])
    if first and not any(source.input_field in record.row for record in first):
        fields = ", ".join(map(str, first[0].row))
        raise DataError(
            f"{source.path}: no row has a field {source.input_field!r} (the second of --columns; "
            f"fields: {fields})"
        )


def dedup_file(
    source: InstructionSource | str | Path,
    output: str | Path | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    outliers: float = 0.0,
    against: InstructionSource | str | Path | None = None,
    embedder: TextEncoder | None = None,
    embeddings: str | Path | None = None,
    show_progress: bool = False,
    **reader_options: Any,
) -> DedupFileResult:
    """`pie dedup`: write every row of ``source`` that is neither a near-duplicate nor an outlier to
    ``output`` (default ``<stem>.dedup.<ext>``) in the input's own format with every field, the removed
    rows to ``<output>.duplicates.jsonl`` (:func:`explanation_rows`) and a summary to
    ``<output>.report.json``. With ``against`` (another file, read with the same settings: a training set
    when ``source`` is a test set), rows that repeat one of its rows go too. The file is streamed:
    vectors and texts are held, and the kept rows are copied in a second pass
    (:func:`~pie_embed.data.subsets.write_source_subset`)."""
    check_threshold(threshold)
    check_fraction(outliers, "--outliers")
    source = as_source(source, reader_options, caller="dedup_file")
    if output is not None:
        check_output(Path(output), source)
    other = None
    if against is not None:
        other = as_source(against, {}, caller="dedup_file").replace(
            field=source.field, input_field=source.input_field, join=source.join
        )
        if other.path.resolve() == source.path.resolve():
            raise ConfigError(
                f"{source.path}: --against names the input itself (every row would repeat itself)"
            )
        if embeddings is not None and embedder is None:
            raise ConfigError(
                "--against needs the model to embed the reference with: name it with -m (the vectors of "
                "--embeddings must be that model's)"
            )
        other.check()  # before the long part
    if source.join != "none":
        _check_second_column(source.check())
        if other is not None:
            _check_second_column(other)
    data = embed_rows(
        source, embedder=embedder, embeddings=embeddings, keep_texts=True, show_progress=show_progress
    )
    reference = None
    if other is not None:
        reference = embed_rows(other, embedder=embedder, keep_texts=True, show_progress=show_progress)
    removal = find_removals(
        data.vectors,
        threshold,
        outliers,
        reference=None if reference is None else reference.vectors,
        show_progress=show_progress,
    )
    duplicates, found, kept = removal.duplicates, removal.outliers, removal.kept
    out = Path(output) if output is not None else default_subset_path(source, "dedup")
    explanation = out.with_name(out.name + ".duplicates.jsonl")
    report_path = out.with_name(out.name + ".report.json")
    in_reference = 0 if duplicates.in_reference is None else int(duplicates.in_reference.sum())
    report = DedupReport(
        input=str(source.path),
        output=str(out),
        explanation=str(explanation),
        input_rows=len(data),
        kept=len(kept),
        duplicates=len(duplicates) - in_reference,
        outliers=len(found),
        threshold=duplicates.threshold,
        outlier_fraction=outliers,
        backend=duplicates.backend,
        settings=dict(data.settings),
        against=None if reference is None else str(reference.path),
        in_reference=in_reference,
    )
    write_source_subset(source, kept, out)
    write_records(explanation, explanation_rows(data, duplicates, found, reference))
    write_json(report_path, report)
    return DedupFileResult(out, explanation, report_path, duplicates, found, report)
