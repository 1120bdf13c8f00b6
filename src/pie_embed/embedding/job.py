"""The one embedding job: a source in, vectors and a manifest out, whatever the output and the engine.

:func:`run_embedding_job` is the only place that reads a source, batches it into chunks, embeds each
chunk's new texts (a text seen earlier is copied, not embedded again), writes, and resumes where an
earlier run stopped. Outputs are sinks (:mod:`pie_embed.embedding.sinks`): a ``.npy`` / ``.parquet``
file, a folder of shards, or memory for the tools. Engines are encoders: this process
(``InstructionEmbedder``, ``StaticEncoder``) or a pool of Ray actors (``RayEncoder``). Every output on
disk reads back with :func:`pie_embed.data.read_embeddings`.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pie_embed.data.checksums import RunningChecksums, texts_sha256
from pie_embed.data.embeddings import embeddings_output
from pie_embed.data.manifest import EmbeddingManifest
from pie_embed.data.shards import ShardInfo
from pie_embed.data.source import DEFAULT_CHUNK_ROWS, InstructionSource, as_source
from pie_embed.embedding.config import EmbedderConfig
from pie_embed.embedding.encoder import check_engine, make_encoder
from pie_embed.embedding.protocol import TextEncoder
from pie_embed.embedding.sinks import FileSink, ShardSink, VectorSink
from pie_embed.embedding.stats import EncodeStats
from pie_embed.errors import ConfigError, DataError
from pie_embed.progress import progress_bar

DEFAULT_SHARD_ROWS = DEFAULT_CHUNK_ROWS  # 10k rows: ~1.5 GB peak with MiniLM; 50k rows reached 2.6 GB


@dataclass
class EmbedResult:
    """What an embedding job wrote and did."""

    output: Path | None  # None: the vectors stayed in memory
    manifest_path: Path | None
    kind: str  # "file", "shards" or "memory"
    rows: int
    dimension: int
    embedded: int  # distinct texts run through the model by this run
    copied: int  # rows whose text an earlier row had already embedded
    parts: int  # chunks (shards of a folder)
    resumed_parts: int  # chunks finished by an earlier, interrupted run
    truncated: int  # texts cut to the model's max length (resumed chunks included)
    workers: int  # encoder processes (Ray actors; 1 for this process)
    seconds: float
    manifest: EmbeddingManifest | None = None

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    # the names of the results this one replaced (embed_file's and embed_stream's), for one release
    @property
    def folder(self) -> Path | None:
        return self.output

    @property
    def shards(self) -> int:
        return self.parts

    @property
    def resumed_shards(self) -> int:
        return self.resumed_parts

    @property
    def stats(self) -> EncodeStats:
        return EncodeStats(self.rows, self.embedded, self.truncated, self.parts, self.seconds)


def embedding_manifest(
    encoder: TextEncoder,
    *,
    count: int,
    texts_sha256: str,
    embeddings_sha256: str = "",
    source: str | None = None,
    **extra: object,
) -> EmbeddingManifest:
    """The manifest of vectors ``encoder`` made: its settings, the counts and checksums, and ``extra``."""
    settings = encoder.describe()
    return EmbeddingManifest(
        model=str(settings["model"]),
        prompt=str(settings["prompt"]),
        pooling=str(settings["pooling"]),
        normalize=bool(settings["normalize"]),
        dimension=encoder.dimension,
        count=count,
        texts_sha256=texts_sha256,
        embeddings_sha256=embeddings_sha256,
        source=source,
        extra={
            "model_fingerprint": settings["model_fingerprint"],
            "max_length": settings["max_length"],
            "instruction_tokens_only": settings["instruction_tokens_only"],
            "precision": settings["precision"],
            **({"engine": settings["engine"]} if "engine" in settings else {}),
            **extra,
        },
    )


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class _Chunks:
    """The job's loop state: where each distinct text was first seen, the running checksums, counts."""

    def __init__(self, encoder: TextEncoder, sink: VectorSink, deduplicate: bool) -> None:
        self.encoder = encoder
        self.sink = sink
        self.deduplicate = deduplicate
        self.first_seen: dict[bytes, tuple[int, int]] = {}  # text digest -> (chunk, row in chunk)
        # the same digests as a single file of all rows; vectors kept in memory are not written anywhere
        self.checksums = RunningChecksums() if sink.kind != "memory" else None
        self.rows = self.embedded = self.copied = self.truncated = 0

    def keys(self, texts: list[str]) -> list[bytes] | None:
        return [_digest(text) for text in texts] if self.deduplicate else None

    def embed(self, index: int, texts: list[str], keys: list[bytes] | None) -> tuple[np.ndarray, ShardInfo]:
        """One chunk's vectors: a text seen in an earlier chunk, or earlier in this one, is copied; the
        rest are embedded."""
        vectors = np.empty((len(texts), self.encoder.dimension), np.float32)
        from_earlier: dict[int, list[tuple[int, int]]] = defaultdict(list)  # chunk -> [(here, there)]
        first_here: dict[bytes, int] = {}
        repeats: list[tuple[int, int]] = []  # (row, the row of this chunk it repeats)
        new_rows: list[int] = []
        for position in range(len(texts)):
            key = keys[position] if keys is not None else None
            if key is not None and (seen := self.first_seen.get(key)) is not None:
                from_earlier[seen[0]].append((position, seen[1]))
            elif key is not None and key in first_here:
                repeats.append((position, first_here[key]))
            else:
                if key is not None:
                    first_here[key] = position
                new_rows.append(position)
        for chunk, pairs in from_earlier.items():
            here, there = zip(*pairs, strict=True)
            vectors[list(here)] = self.sink.vectors(chunk)[list(there)]
        embedded = truncated = 0
        if new_rows:
            new_texts = [texts[p] for p in new_rows]
            vectors[new_rows], stats = self.encoder.encode_with_stats(new_texts, show_progress_bar=False)
            embedded = stats.unique  # the encoder embeds a repeat within one call once, too
            truncated = stats.truncated
        for here, there in repeats:
            vectors[here] = vectors[there]
        info = ShardInfo(
            index, self.rows, len(texts), texts_sha256(texts), embedded, len(texts) - embedded, truncated
        )
        return vectors, info

    def add(
        self, index: int, texts: list[str], keys: list[bytes] | None, vectors: np.ndarray, info: ShardInfo
    ) -> None:
        for position, key in enumerate(keys or ()):
            self.first_seen.setdefault(key, (index, position))
        if self.checksums is not None:
            self.checksums.add(texts, vectors)
        self.rows += len(texts)
        self.truncated += info.truncated


def run_embedding_job(
    source: InstructionSource,
    encoder: TextEncoder,
    sink: VectorSink,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    resume: bool = False,
    deduplicate: bool = True,
    show_progress: bool | None = None,
    run: dict[str, Any] | None = None,
) -> EmbedResult:
    """Embed every row of ``source`` with ``encoder`` into ``sink``, ``chunk_rows`` rows at a time.

    ``deduplicate`` embeds a text once and copies its vector to every later row holding it (for a
    static encoder, hashing costs about what embedding does). With ``resume``, chunks an earlier run
    finished are kept as they are: the result is byte-identical to an uninterrupted run. ``run`` adds
    to what must match for a resume (the encoder's settings and the source are always in it)."""
    if chunk_rows < 1:
        raise ConfigError(f"chunk rows must be at least 1, got {chunk_rows}")
    started = time.perf_counter()
    source.check()
    run_key = {
        **source.fingerprint(),
        "shard_rows": chunk_rows,
        "embedder": encoder.config_key,
        "model": encoder.describe()["model"],
        **(run or {}),
    }
    done = sink.start(run_key, resume=resume)
    # decided by the input alone, so that a resumed run computes exactly what an uninterrupted one would
    encoder.expect_input(_input_bytes(source.path))
    state = _Chunks(encoder, sink, deduplicate)
    if show_progress is None:
        show_progress = sys.stderr.isatty()
    chunks = 0
    with progress_bar(None, f"embedding with {encoder.model_name}", show_progress) as advance:
        for index, records in enumerate(source.iter(chunk_rows)):
            texts = [record.text for record in records]
            keys = state.keys(texts)
            if index in done:
                info = done[index]
                if info.start_row != state.rows or info.texts_sha256 != texts_sha256(texts):
                    raise DataError(f"{source.path}: rows of shard {index} changed since it was written")
                vectors = sink.vectors(index)
            else:
                vectors, info = state.embed(index, texts, keys)
                sink.write(info, vectors, records)
                state.embedded += info.embedded
                state.copied += info.copied
            state.add(index, texts, keys, vectors, info)
            chunks = index + 1
            advance(len(texts))
    manifest = embedding_manifest(
        encoder,
        count=state.rows,
        texts_sha256=state.checksums.texts_sha256 if state.checksums else "",
        embeddings_sha256=state.checksums.embeddings_sha256 if state.checksums else "",
        source=str(source.path),
        field=source.field,
        join=source.join,
        truncated=state.truncated,
        **({"shard_rows": chunk_rows, "shards": chunks} if sink.kind == "shards" else {}),
    )
    manifest_path = sink.finish(manifest)
    return EmbedResult(
        output=sink.output,
        manifest_path=manifest_path,
        kind=sink.kind,
        rows=state.rows,
        dimension=encoder.dimension,
        embedded=state.embedded,
        copied=state.copied,
        parts=chunks,
        resumed_parts=len(done),
        truncated=state.truncated,
        workers=int(getattr(encoder, "workers", 1)),
        seconds=time.perf_counter() - started,
        manifest=manifest,
    )


def _input_bytes(path: Path) -> int:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files)


def embed_to(
    source: InstructionSource | str | Path,
    output: str | Path,
    embedder: EmbedderConfig | TextEncoder | None = None,
    *,
    folder: bool | None = None,
    engine: str = "local",
    shard_rows: int = DEFAULT_SHARD_ROWS,
    resume: bool = False,
    workers: int = 1,
    address: str | None = None,
    show_progress: bool | None = None,
    store_texts: bool = True,
    **reader_options: Any,
) -> EmbedResult:
    """Embed every row of ``source`` into ``output``: a ``.npy`` or ``.parquet`` file, or a folder (a
        path ending in ``/``, or ``folder=True``) of shards that ``resume`` continues. ``embedder`` is a
        configuration (built here, on ``engine``: ``"ray"`` spreads the model over ``workers`` Ray actors,
        on ``address``'s cluster if given) or an encoder already built. A Parquet file keeps each row's text
    unless ``store_texts`` is False."""
    source = as_source(source, reader_options, caller="embed_to")
    output_path, is_folder = embeddings_output(output, folder=bool(folder))
    check_engine(engine)
    if embedder is None or isinstance(embedder, EmbedderConfig):
        encoder = make_encoder(embedder or EmbedderConfig(), engine, workers=workers, address=address)
    elif engine != "local":
        raise ConfigError("an encoder given already built runs where it is: leave out --engine")
    else:
        encoder = embedder
    sink: VectorSink = ShardSink(output_path) if is_folder else FileSink(output_path, store_texts=store_texts)
    return run_embedding_job(
        source, encoder, sink, chunk_rows=shard_rows, resume=resume, show_progress=show_progress
    )
