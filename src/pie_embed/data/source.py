"""An instruction source: a data file and how to read instructions from it, as one value.

Every reader, tool, job and command takes one, so the reader settings (which field holds the
instruction, its input and its label, how instruction and input are joined, which split of a saved
dataset) travel together instead of as five loose arguments.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pie_embed.data.readers import (
    InstructionDataset,
    InstructionRecord,
    check_join,
    check_path,
    count_rows,
    iter_instructions,
    read_instructions,
    read_rows_at,
)

DEFAULT_CHUNK_ROWS = 10_000


@dataclass(frozen=True)
class InstructionSource:
    """A file (JSON, JSON Lines, CSV, Parquet or a saved Hugging Face dataset folder) and its reader
    settings.

    >>> source = InstructionSource("alpaca.jsonl", join="newline")   # instruction + "\\n" + input
    >>> source.count(), source.read().texts[:2]
    """

    path: Path
    field: str = "instruction"
    input_field: str = "input"
    label_field: str = "label"
    join: str = "none"  # "none", "newline", "space" or a template with {instruction} and {input}
    split: str | None = None  # the split of a saved DatasetDict

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        check_join(self.path, self.join)

    @property
    def reader_options(self) -> dict[str, Any]:
        """The settings as the readers' keyword arguments."""
        return {
            "field": self.field,
            "label_field": self.label_field,
            "input_field": self.input_field,
            "join": self.join,
            "split": self.split,
        }

    def replace(self, **changes: Any) -> InstructionSource:
        return dataclasses.replace(self, **changes)

    def check(self) -> InstructionSource:
        """This source, after a one-line error if its path is missing or not a supported file."""
        check_path(self.path)
        return self

    def read(self, *, require_labels: bool = False) -> InstructionDataset:
        """Every row, in file order (see :func:`~pie_embed.data.readers.read_instructions`)."""
        return read_instructions(self.path, **self.reader_options, require_labels=require_labels)

    def iter(self, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[list[InstructionRecord]]:
        """The rows in consecutive chunks of ``chunk_rows``, one chunk held at a time."""
        return iter_instructions(self.path, **self.reader_options, chunk_rows=chunk_rows)

    def rows_at(self, rows: Iterable[int]) -> InstructionDataset:
        """Only the file rows ``rows`` (row numbers), read in one streamed pass, in file order."""
        return read_rows_at(self.path, rows, **self.reader_options)

    def count(self) -> int:
        """How many rows the file holds (cheaply where the format allows)."""
        return count_rows(self.path, self.field, self.split)

    def fingerprint(self) -> dict[str, Any]:
        """What must not change between a run over this source and its resumption: the file (by its
        resolved path and size) and every setting that decides the texts (the label field does not)."""
        size = None if self.path.is_dir() else self.path.stat().st_size
        texts = {k: v for k, v in self.reader_options.items() if k != "label_field"}
        return {"input": str(self.path.resolve()), "input_bytes": size, **texts}


def as_source(
    source: InstructionSource | str | Path, reader_options: dict[str, Any], *, caller: str
) -> InstructionSource:
    """``source`` as an :class:`InstructionSource`. Reader keywords given the old way (``field=...``
    next to a path) still work for one release, with a DeprecationWarning naming ``caller``."""
    if reader_options:
        warnings.warn(
            f"{caller}(..., {', '.join(f'{k}=' for k in reader_options)}) is deprecated: pass "
            f"InstructionSource(path, {', '.join(f'{k}=...' for k in reader_options)}) instead",
            DeprecationWarning,
            stacklevel=3,
        )
    if isinstance(source, InstructionSource):
        return source.replace(**reader_options) if reader_options else source
    return InstructionSource(Path(source), **reader_options)
