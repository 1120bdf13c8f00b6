"""Selection over records in memory: records in, the kept records and every removed one with its reason
out (the shape of semhash's results), next to the file-level ``select_file``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pie_embed.embedding.encoder import TextEncoder, default_encoder
from pie_embed.embedding.normalize import unit_rows
from pie_embed.errors import ConfigError, DataError
from pie_embed.tools.neighbors import nearest_neighbors
from pie_embed.tools.select import SelectionResult, select_instructions

DUPLICATE = "near-duplicate"  # removed before selection: this similar to an earlier row
REPRESENTED = "represented"  # not chosen: the nearest chosen row stands for it


@dataclass(frozen=True)
class FilteredRecord:
    """A record that was not selected, why, and the row that stands for it."""

    record: Any
    index: int
    reason: str  # DUPLICATE or REPRESENTED
    by: int  # the row it duplicates, or its nearest selected row
    similarity: float  # cosine to that row


@dataclass
class RecordSelection:
    """The selected records (in input order) and the filtered ones, each with its reason."""

    selected: list[Any]
    filtered: list[FilteredRecord]
    selection: SelectionResult

    @property
    def selected_ratio(self) -> float:
        return len(self.selected) / (len(self.selected) + len(self.filtered))

    @property
    def filtered_ratio(self) -> float:
        return 1.0 - self.selected_ratio

    @property
    def duplicate_ratio(self) -> float:
        """Share of all records removed as near-duplicates."""
        duplicates = sum(item.reason == DUPLICATE for item in self.filtered)
        return duplicates / (len(self.selected) + len(self.filtered))


def record_texts(records: Sequence[Any], columns: Sequence[str] | None = None) -> list[str]:
    """The text of each record: the record itself when it is a string, else its ``columns`` joined by
    newlines. The first column must hold non-empty text; a later one (an input, a response) that is
    absent, null or empty in a record is left out of its text, as the file readers' ``--join`` does.
    A one-line error names the record and the field."""
    texts = []
    columns = list(columns or [])
    dicts = [record for record in records if isinstance(record, dict)]
    for column in columns[1:]:
        if dicts and not any(column in record for record in dicts):
            raise DataError(f"no record has a field {column!r} (fields: {', '.join(map(str, dicts[0]))})")
    for i, record in enumerate(records):
        if isinstance(record, str):
            if not record.strip():
                raise DataError(f"record {i} is an empty instruction")
            texts.append(record)
            continue
        if not isinstance(record, dict):
            raise DataError(f"record {i} is {type(record).__name__}; give strings or dicts")
        if not columns:
            raise ConfigError("records are dicts: name the columns to embed (columns=['instruction'])")
        parts = []
        for position, column in enumerate(columns):
            value = record.get(column)
            if position and (value is None or value == "" or value != value):  # absent, null, NaN
                continue
            if column not in record:
                raise DataError(
                    f"record {i}: missing field {column!r} (fields: {', '.join(map(str, record))})"
                )
            if not isinstance(value, str):
                raise DataError(f"record {i}: field {column!r} is {type(value).__name__}, expected a string")
            if not position and not value.strip():
                raise DataError(f"record {i}: field {column!r} is an empty instruction")
            parts.append(value)
        texts.append("\n".join(parts))
    return texts


def select_records(
    records: Sequence[Any],
    n: int,
    method: str = "kmeans",
    *,
    columns: Sequence[str] | None = None,
    embedder: TextEncoder | None = None,
    **options: Any,
) -> RecordSelection:
    """Select ``n`` of ``records`` (strings, or dicts whose ``columns`` hold the text) with
    :func:`~pie_embed.tools.select.select_instructions` (``options``: ``dedup_threshold``, ``seed``, ...)."""
    records = list(records)
    texts = record_texts(records, columns)
    embedder = embedder or default_encoder()
    vectors = unit_rows(embedder.encode(texts)) if texts else np.zeros((0, 1), np.float32)
    selection = select_instructions(vectors, n, method, **options)
    return explain_selection(records, vectors, selection)


def explain_selection(records: list[Any], vectors: np.ndarray, selection: SelectionResult) -> RecordSelection:
    """The records split by ``selection``: near-duplicates name the row they repeat, every other
    unselected record its nearest selected row."""
    chosen = np.asarray(selection.indices, np.int64)
    selected_set = set(selection.indices)
    others = [i for i in range(len(records)) if i not in selected_set and i not in selection.duplicate_of]
    filtered = [
        FilteredRecord(records[i], i, DUPLICATE, j, selection.duplicate_similarity[i])
        for i, j in selection.duplicate_of.items()
    ]
    if others:
        similarities, ids = nearest_neighbors(vectors[chosen], vectors[others], 1)
        filtered += [
            FilteredRecord(
                records[i], i, REPRESENTED, int(chosen[ids[row, 0]]), round(float(similarities[row, 0]), 4)
            )
            for row, i in enumerate(others)
        ]
    filtered.sort(key=lambda item: item.index)
    return RecordSelection([records[i] for i in selection.indices], filtered, selection)
