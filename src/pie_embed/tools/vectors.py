"""A dataset together with its (unit-length) vectors: embedded now, or read from a `pie embed` file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pie_embed.data.checksums import RunningChecksums, texts_sha256
from pie_embed.data.embeddings import embeddings_manifest, read_embeddings
from pie_embed.data.readers import (
    InstructionDataset,
    iter_instructions,
    read_instructions,
    read_rows_at,
)
from pie_embed.embedding.encoder import TextEncoder, default_encoder
from pie_embed.embedding.normalize import unit_rows
from pie_embed.errors import DataError
from pie_embed.progress import progress_bar


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

    path: Path
    lines: np.ndarray
    vectors: np.ndarray
    settings: dict[str, object]
    read_options: dict[str, object]
    texts: list[str] | None = None

    def __len__(self) -> int:
        return len(self.vectors)

    def rows_at(self, rows: list[int]) -> InstructionDataset:
        """The records of file rows ``rows``, read in one more pass over the file."""
        return read_rows_at(self.path, rows, **self.read_options)  # type: ignore[arg-type]


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


def _check_embeddings(
    embeddings: str | Path, path: str | Path, count: int, sha256: str, field: str, join: str
) -> tuple[np.ndarray, dict[str, object]]:
    """The vectors of a `pie embed` output, checked to be of ``count`` texts hashing to ``sha256``."""
    vectors, manifest = read_embeddings(embeddings)
    if manifest.count != count:
        raise DataError(
            f"{embeddings}: has {manifest.count} embeddings but {path} has {count} rows; "
            "re-run pie embed on this file"
        )
    if manifest.texts_sha256 and manifest.texts_sha256 != sha256:
        raise DataError(
            f"{embeddings}: was made from other texts than {path} (field {field!r}, join {join!r}); "
            "re-run pie embed on this file with the same --field/--join"
        )
    settings: dict[str, object] = {
        "model": manifest.model,
        "prompt": manifest.prompt,
        "pooling": manifest.pooling,
        "embeddings": str(embeddings),
    }
    return vectors, settings


def _encoder_settings(embedder: TextEncoder) -> dict[str, object]:
    described = embedder.describe()
    return {k: described.get(k) for k in ("model", "prompt", "pooling", "max_length")}


def embed_rows(
    path: str | Path,
    *,
    embedder: TextEncoder | None = None,
    embeddings: str | Path | None = None,
    field: str = "instruction",
    label_field: str = "label",
    input_field: str = "input",
    join: str = "none",
    split: str | None = None,
    keep_texts: bool = False,
    chunk_rows: int = 50_000,
    show_progress: bool = False,
) -> EmbeddedRows:
    """:func:`embed_dataset` in one streamed pass of ``chunk_rows`` records at a time, holding only the
    vectors, each row's line and (``keep_texts``) its text: for files of millions of rows."""
    options: dict[str, object] = {
        "field": field,
        "label_field": label_field,
        "input_field": input_field,
        "join": join,
        "split": split,
    }
    lines: list[int] = []
    texts: list[str] = []
    parts: list[np.ndarray] = []
    checksums = RunningChecksums()
    # given vectors win over a given model, as in embed_dataset
    embedder = None if embeddings is not None else embedder or default_encoder()
    with progress_bar(None, "embedding" if embeddings is None else "reading", show_progress) as advance:
        for chunk in iter_instructions(path, chunk_rows=chunk_rows, **options):  # type: ignore[arg-type]
            chunk_texts = [r.text for r in chunk]
            lines.extend(r.line for r in chunk)
            if keep_texts:
                texts.extend(chunk_texts)
            if embedder is None:
                checksums.add_texts(chunk_texts)
            else:
                # a copy per chunk: an encoder may hand out an array it keeps (a cache of its own)
                parts.append(unit_rows(embedder.encode(chunk_texts)))
            advance(len(chunk))
    if embedder is None:
        assert embeddings is not None
        sha256 = checksums.texts_sha256
        vectors, settings = _check_embeddings(embeddings, path, len(lines), sha256, field, join)
        vectors = unit_rows(vectors, in_place=True)
    else:
        vectors = np.empty((len(lines), parts[0].shape[1]), np.float32)
        start = 0
        while parts:  # each part is freed once copied, so the rows are held about once
            part = parts.pop(0)
            vectors[start : start + len(part)] = part
            start += len(part)
        settings = _encoder_settings(embedder)
    return EmbeddedRows(
        Path(path),
        np.asarray(lines, np.int64),
        vectors,
        settings,
        options,
        texts if keep_texts else None,
    )


def embed_dataset(
    path: str | Path,
    *,
    embedder: TextEncoder | None = None,
    embeddings: str | Path | None = None,
    field: str = "instruction",
    label_field: str = "label",
    input_field: str = "input",
    join: str = "none",
    split: str | None = None,
    show_progress: bool = False,
) -> EmbeddedDataset:
    """Read ``path`` and embed its rows with ``embedder`` (the default model when None), or take the
    vectors of ``embeddings`` (a `pie embed` output) after checking it was made from the same texts."""
    dataset = read_instructions(
        path, field=field, label_field=label_field, input_field=input_field, join=join, split=split
    )
    texts = dataset.texts
    if embeddings is not None:
        vectors, settings = _check_embeddings(embeddings, path, len(texts), texts_sha256(texts), field, join)
        return EmbeddedDataset(dataset, unit_rows(vectors, in_place=True), settings)
    embedder = embedder or default_encoder()
    vectors = embedder.encode(texts, show_progress_bar=show_progress)
    return EmbeddedDataset(dataset, unit_rows(vectors), _encoder_settings(embedder))
