"""Embedding inputs of any size: read in chunks, write one shard per chunk, resume after any crash.

Memory stays flat: one shard of rows and vectors at a time, plus 16 bytes per distinct text seen so
far (so that a text repeated anywhere in the input is embedded once and copied afterwards).
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pie_embed.data.checksums import RunningChecksums, texts_sha256
from pie_embed.data.readers import check_path, iter_instructions
from pie_embed.data.shards import ShardFolder, ShardInfo
from pie_embed.embedding.compile import input_is_large
from pie_embed.embedding.embedder import InstructionEmbedder
from pie_embed.embedding.files import embedding_manifest
from pie_embed.embedding.static import StaticEncoder
from pie_embed.errors import ConfigError, DataError
from pie_embed.progress import progress_bar

DEFAULT_SHARD_ROWS = 10_000  # 10k rows: ~1.5 GB peak with MiniLM; 50k rows reached 2.6 GB


@dataclass
class StreamResult:
    """What a sharded run wrote and did."""

    folder: Path
    manifest_path: Path
    rows: int
    shards: int
    resumed_shards: int  # finished by an earlier, interrupted run
    embedded: int  # distinct texts run through the model by this run
    copied: int  # rows whose text an earlier row had already embedded
    seconds: float


def _input_identity(path: Path) -> dict[str, object]:
    """What must not change between a run and its resumption."""
    stat = path.stat()
    return {"input": str(path.resolve()), "input_bytes": None if path.is_dir() else stat.st_size}


def embed_stream(
    embedder: InstructionEmbedder | StaticEncoder,
    input_path: str | Path,
    output: str | Path,
    *,
    field: str = "instruction",
    input_field: str = "input",
    join: str = "none",
    split: str | None = None,
    shard_rows: int = DEFAULT_SHARD_ROWS,
    resume: bool = False,
    show_progress: bool | None = None,
) -> StreamResult:
    """Embed every row of ``input_path`` into the shard folder ``output`` (see :mod:`pie_embed.data.shards`).

    With ``resume``, shards an earlier run finished are kept as they are and only the rest is computed;
    the result is byte-identical to an uninterrupted run."""
    if shard_rows < 1:
        raise ConfigError(f"shard_rows must be at least 1, got {shard_rows}")
    started = time.perf_counter()
    input_path = Path(input_path)
    check_path(input_path)
    reading = {"field": field, "input_field": input_field, "join": join, "split": split}
    run = {
        **_input_identity(input_path),
        **reading,
        "shard_rows": shard_rows,
        "embedder": embedder.config_key,
        "model": embedder.describe()["model"],
    }
    shards = ShardFolder.start(output, run, resume=resume)
    # Decided by the input alone, so that a resumed run computes exactly what an uninterrupted one would.
    transformer = isinstance(embedder, InstructionEmbedder)
    if transformer and embedder.torch_compile is None and input_is_large(input_path):
        embedder.use_compile()
    done = shards.done()
    first_seen: dict[bytes, tuple[int, int]] = {}  # text digest -> (shard, row in shard) of its first row
    checksums = RunningChecksums()  # the same digests as a single-file output of all rows
    rows = embedded = copied = 0
    if show_progress is None:
        show_progress = sys.stderr.isatty()
    with progress_bar(None, f"embedding with {embedder.model_name}", show_progress) as advance:
        for index, chunk in enumerate(iter_instructions(input_path, **reading, chunk_rows=shard_rows)):
            texts = [record.text for record in chunk]
            keys = [hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest() for text in texts]
            if index in done:
                info = done[index]
                if info.start_row != rows or info.texts_sha256 != texts_sha256(texts):
                    raise DataError(f"{input_path}: rows of shard {index} changed since it was written")
                vectors = np.asarray(shards.vectors(index))
            else:
                vectors, info = _embed_shard(embedder, shards, index, rows, texts, keys, first_seen)
                shards.write(info, vectors)
                embedded += info.embedded
                copied += info.copied
            for position, key in enumerate(keys):
                first_seen.setdefault(key, (index, position))
            checksums.add(texts, vectors)
            rows += len(texts)
            advance(len(texts))
    manifest = embedding_manifest(
        embedder,
        count=rows,
        texts_sha256=checksums.texts_sha256,
        embeddings_sha256=checksums.embeddings_sha256,
        source=str(input_path),
        field=field,
        join=join,
        shard_rows=shard_rows,
        shards=index + 1,
    )
    manifest_path = shards.finish(manifest)
    return StreamResult(
        folder=Path(output),
        manifest_path=manifest_path,
        rows=rows,
        shards=index + 1,
        resumed_shards=len(done),
        embedded=embedded,
        copied=copied,
        seconds=time.perf_counter() - started,
    )


def _embed_shard(
    embedder: InstructionEmbedder | StaticEncoder,
    shards: ShardFolder,
    index: int,
    start_row: int,
    texts: list[str],
    keys: list[bytes],
    first_seen: dict[bytes, tuple[int, int]],
) -> tuple[np.ndarray, ShardInfo]:
    """One shard's vectors: texts seen in earlier shards are copied from them, the rest embedded."""
    vectors = np.empty((len(texts), embedder.dimension), np.float32)
    from_earlier: dict[int, list[tuple[int, int]]] = defaultdict(list)  # shard -> [(row here, row there)]
    new_rows = []
    for position, key in enumerate(keys):
        source = first_seen.get(key)
        if source is not None:
            from_earlier[source[0]].append((position, source[1]))
        else:
            new_rows.append(position)
    for source_shard, pairs in from_earlier.items():
        here, there = zip(*pairs, strict=True)
        vectors[list(here)] = shards.vectors(source_shard)[list(there)]
    embedded = 0
    if new_rows:
        new_texts = [texts[p] for p in new_rows]
        vectors[new_rows], stats = embedder.encode_with_stats(new_texts, show_progress_bar=False)
        embedded = stats.unique
    info = ShardInfo(
        index=index,
        start_row=start_row,
        count=len(texts),
        texts_sha256=texts_sha256(texts),
        embedded=embedded,
        copied=len(texts) - len(new_rows),
    )
    return vectors, info
