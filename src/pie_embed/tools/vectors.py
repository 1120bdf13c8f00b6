"""A dataset together with its (unit-length) vectors: embedded now, or read from a `pie embed` file.

Embedding goes through the one embedding job (:func:`pie_embed.embedding.job.run_embedding_job`) into
memory; vectors given as a `pie embed` output are checked against the source's texts instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pie_embed.data.checksums import RunningChecksums, texts_sha256
from pie_embed.data.embeddings import embeddings_manifest, read_embeddings
from pie_embed.data.readers import InstructionDataset, detect_format
from pie_embed.data.source import InstructionSource, as_source
from pie_embed.deprecation import renamed_arguments
from pie_embed.embedding.encoder import TextEncoder, default_encoder
from pie_embed.embedding.job import run_embedding_job
from pie_embed.embedding.normalize import unit_rows
from pie_embed.embedding.sinks import MemorySink
from pie_embed.errors import DataError
from pie_embed.progress import progress_bar

STREAM_CHUNK_ROWS = 50_000  # embed_rows: rows read and embedded at a time
DATASET_CHUNK_ROWS = 4_096  # embed_dataset: small enough for a progress bar that moves


@dataclass
class EmbeddedDataset:
    """The rows of one file, their texts' unit vectors and how the vectors were made."""

    dataset: InstructionDataset
    vectors: np.ndarray
    settings: dict[str, object]

    def __len__(self) -> int:
        return len(self.dataset)


@dataclass
class EmbeddedRows:
    """A file's unit vectors with its rows left in the file: what the tools hold for inputs too large to
    keep as records (a million rows of records take about a gigabyte). ``lines[i]`` is row i's line (or
    row number) for reports; ``texts`` is kept only when asked for; :meth:`rows_at` reads rows back."""

    source: InstructionSource
    lines: np.ndarray
    vectors: np.ndarray
    settings: dict[str, object]
    texts: list[str] | None = None

    @property
    def path(self) -> Path:
        return self.source.path

    def __len__(self) -> int:
        return len(self.vectors)

    def rows_at(self, rows: list[int]) -> InstructionDataset:
        """The records of file rows ``rows``, read in one more pass over the file."""
        return self.source.rows_at(rows)


def check_embeddings_model(embeddings: str | Path, model: str) -> None:
    """A one-line error when the vectors in ``embeddings`` (a `pie embed` output) were made by another
    model than ``model``: compared by the weights' fingerprint, so vectors of an alias's old weights
    (the default before it moved, say) do not pass for the new ones."""
    from pie_embed.embedding.encoder import encoder_fingerprint

    manifest = embeddings_manifest(embeddings)
    made_by = manifest.extra.get("model_fingerprint")
    wanted = encoder_fingerprint(model)
    same = made_by == wanted if wanted is not None and made_by else manifest.model == model
    if not same:
        raise DataError(
            f"{embeddings}: vectors made by {manifest.model} ({made_by or 'no fingerprint'}), but the "
            f"model asked for is {model} ({wanted or 'fingerprint known once loaded'}); re-embed with "
            f"`pie embed -m {model}`, or leave -m out to use these vectors"
        )


def _given_vectors(
    embeddings: str | Path, source: InstructionSource, count: int, sha256: str
) -> tuple[np.ndarray, dict[str, object]]:
    """The unit vectors of a `pie embed` output, checked to be of ``count`` texts hashing to ``sha256``."""
    vectors, manifest = read_embeddings(embeddings)
    if manifest.count != count:
        raise DataError(
            f"{embeddings}: has {manifest.count} embeddings but {source.path} has {count} rows; "
            "re-run pie embed on this file"
        )
    if manifest.texts_sha256 and manifest.texts_sha256 != sha256:
        raise DataError(
            f"{embeddings}: was made from other texts than {source.path} (field {source.field!r}, join "
            f"{source.join!r}); re-run pie embed on this file with the same --field/--join"
        )
    settings: dict[str, object] = {
        "model": manifest.model,
        "prompt": manifest.prompt,
        "pooling": manifest.pooling,
        "embeddings": str(embeddings),
    }
    return unit_rows(vectors, in_place=True), settings


def _encoder_settings(encoder: TextEncoder) -> dict[str, object]:
    described = encoder.describe()
    return {k: described.get(k) for k in ("model", "prompt", "pooling", "max_length")}


def _embed(
    source: InstructionSource,
    encoder: TextEncoder | None,
    sink: MemorySink,
    chunk_rows: int,
    show_progress: bool,
    *,
    deduplicate: bool,
) -> tuple[np.ndarray, dict[str, object]]:
    """``source`` through the embedding job into ``sink``: every row's unit vector and the settings.
    Without ``deduplicate``, a repeat is embedded once within its chunk (the encoder's own dedup) but not
    looked up across chunks, which would hold a digest per row."""
    encoder = encoder or default_encoder()
    run_embedding_job(
        source, encoder, sink, chunk_rows=chunk_rows, deduplicate=deduplicate, show_progress=show_progress
    )
    return sink.take_vectors(encoder.dimension), _encoder_settings(encoder)


@renamed_arguments(path="source")
def embed_rows(
    source: InstructionSource | str | Path,
    *,
    embedder: TextEncoder | None = None,
    embeddings: str | Path | None = None,
    keep_texts: bool = False,
    chunk_rows: int = STREAM_CHUNK_ROWS,
    show_progress: bool = False,
    **reader_options: Any,
) -> EmbeddedRows:
    """:func:`embed_dataset` in one streamed pass of ``chunk_rows`` records at a time, holding only the
    vectors, each row's line and (``keep_texts``) its text: for files of millions of rows. Given
    ``embeddings`` (a `pie embed` output) win over a given ``embedder``."""
    source = as_source(source, reader_options, caller="embed_rows")
    if embeddings is None:
        sink = MemorySink(keep_texts=keep_texts)
        vectors, settings = _embed(source, embedder, sink, chunk_rows, show_progress, deduplicate=False)
        texts = sink.texts if keep_texts else None
        return EmbeddedRows(source, np.asarray(sink.lines, np.int64), vectors, settings, texts)
    lines: list[int] = []
    kept: list[str] = []
    checksums = RunningChecksums()
    with progress_bar(None, "reading", show_progress) as advance:
        for chunk in source.check().iter(chunk_rows):
            texts = [record.text for record in chunk]
            lines.extend(record.line for record in chunk)
            checksums.add_texts(texts)
            if keep_texts:
                kept.extend(texts)
            advance(len(chunk))
    vectors, settings = _given_vectors(embeddings, source, len(lines), checksums.texts_sha256)
    return EmbeddedRows(source, np.asarray(lines, np.int64), vectors, settings, kept if keep_texts else None)


@renamed_arguments(path="source")
def embed_dataset(
    source: InstructionSource | str | Path,
    *,
    embedder: TextEncoder | None = None,
    embeddings: str | Path | None = None,
    show_progress: bool = False,
    **reader_options: Any,
) -> EmbeddedDataset:
    """Read ``source`` and embed its rows with ``embedder`` (the default model when None), or take the
    vectors of ``embeddings`` (a `pie embed` output) after checking it was made from the same texts."""
    source = as_source(source, reader_options, caller="embed_dataset")
    if embeddings is not None:
        dataset = source.check().read()
        sha256 = texts_sha256(dataset.texts)
        vectors, settings = _given_vectors(embeddings, source, len(dataset), sha256)
        return EmbeddedDataset(dataset, vectors, settings)
    sink = MemorySink(keep_records=True)
    vectors, settings = _embed(source, embedder, sink, DATASET_CHUNK_ROWS, show_progress, deduplicate=True)
    dataset = InstructionDataset(sink.records, source.path, detect_format(source.path))
    return EmbeddedDataset(dataset, vectors, settings)
