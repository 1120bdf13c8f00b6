"""Where the embedding job's vectors go, chunk by chunk: a file, a folder of shards, or memory.

Each is a :class:`VectorSink`. A sink hands back the vectors of any chunk it was given (the job copies
a repeated text's vector from the chunk where it first appeared) and, if it can resume, which chunks
an earlier run finished.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pie_embed.data.embeddings import write_embeddings
from pie_embed.data.manifest import EmbeddingManifest
from pie_embed.data.readers import InstructionRecord
from pie_embed.data.shards import ShardFolder, ShardInfo
from pie_embed.errors import ConfigError


class VectorSink(Protocol):
    """An output of the embedding job."""

    kind: str  # "file", "shards" or "memory"
    output: Path | None  # the file or folder written (None: memory)

    def start(self, run: dict[str, Any], *, resume: bool) -> dict[int, ShardInfo]:
        """Open the output for the run ``run`` describes; the chunks an earlier run finished, by index."""
        ...

    def write(self, info: ShardInfo, vectors: np.ndarray, records: list[InstructionRecord]) -> None:
        """Take one chunk's vectors (rows ``info.start_row`` onwards) and its records."""
        ...

    def vectors(self, index: int) -> np.ndarray:
        """The vectors of chunk ``index``, written by this run or an earlier one."""
        ...

    def finish(self, manifest: EmbeddingManifest) -> Path | None:
        """Close the output; the path of its manifest (None: kept in memory)."""
        ...


class FileSink:
    """A single ``.npy`` or ``.parquet`` file, written at the end (Parquet also keeps the texts)."""

    kind = "file"

    def __init__(self, path: str | Path, *, store_texts: bool = True) -> None:
        self.path = self.output = Path(path)
        self.parts: list[np.ndarray] = []
        keeps_texts = store_texts and self.path.suffix.lower() == ".parquet"
        self.texts: list[str] | None = [] if keeps_texts else None

    def start(self, run: dict[str, Any], *, resume: bool) -> dict[int, ShardInfo]:
        if resume:
            raise ConfigError(
                "--resume continues a folder output (-o DIR/); a single file is written at once"
            )
        return {}

    def write(self, info: ShardInfo, vectors: np.ndarray, records: list[InstructionRecord]) -> None:
        self.parts.append(vectors)
        if self.texts is not None:
            self.texts += [record.text for record in records]

    def vectors(self, index: int) -> np.ndarray:
        return self.parts[index]

    def finish(self, manifest: EmbeddingManifest) -> Path:
        vectors = stack_parts(self.parts, manifest.dimension)
        return write_embeddings(self.path, vectors, manifest, texts=self.texts)


class ShardSink:
    """A folder of ``.npy`` shards, one per chunk, each written atomically: any size, resumable
    (:mod:`pie_embed.data.shards`)."""

    kind = "shards"

    def __init__(self, folder: str | Path) -> None:
        self.folder = self.output = Path(folder)
        self.shards = ShardFolder(self.folder)

    def start(self, run: dict[str, Any], *, resume: bool) -> dict[int, ShardInfo]:
        self.shards = ShardFolder.start(self.folder, run, resume=resume)
        return self.shards.done()

    def write(self, info: ShardInfo, vectors: np.ndarray, records: list[InstructionRecord]) -> None:
        self.shards.write(info, vectors)

    def vectors(self, index: int) -> np.ndarray:
        return np.asarray(self.shards.vectors(index))

    def finish(self, manifest: EmbeddingManifest) -> Path:
        return self.shards.finish(manifest)


@dataclass
class MemorySink:
    """Vectors kept in memory with each row's line (and, if asked, its text or whole record): what the
    tools hold. ``unit`` scales each chunk to unit rows as it arrives."""

    unit: bool = True
    keep_texts: bool = False
    keep_records: bool = False
    kind: str = "memory"
    output: None = None
    parts: list[np.ndarray] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    records: list[InstructionRecord] = field(default_factory=list)

    def start(self, run: dict[str, Any], *, resume: bool) -> dict[int, ShardInfo]:
        return {}

    def write(self, info: ShardInfo, vectors: np.ndarray, records: list[InstructionRecord]) -> None:
        from pie_embed.embedding.normalize import unit_rows

        # a copy per chunk: an encoder may hand out an array it keeps (a cache of its own)
        self.parts.append(unit_rows(vectors) if self.unit else np.array(vectors, np.float32))
        self.lines += [record.line for record in records]
        if self.keep_texts:
            self.texts += [record.text for record in records]
        if self.keep_records:
            self.records += records

    def vectors(self, index: int) -> np.ndarray:
        return self.parts[index]

    def finish(self, manifest: EmbeddingManifest) -> None:
        return None

    def take_vectors(self, dimension: int) -> np.ndarray:
        """Every row's vector in one array (the chunks are handed over)."""
        return stack_parts(self.parts, dimension)


def stack_parts(parts: list[np.ndarray], dimension: int) -> np.ndarray:
    """``parts`` in one array, emptying the list as each is copied, so that the rows are held about once
    rather than twice."""
    vectors = np.empty((sum(len(part) for part in parts), dimension), np.float32)
    start = 0
    parts.reverse()
    while parts:
        part = parts.pop()
        vectors[start : start + len(part)] = part
        start += len(part)
    return vectors
