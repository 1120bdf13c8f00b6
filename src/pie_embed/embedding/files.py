"""Embedding a whole dataset file into an embeddings file with its manifest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pie_embed.data.checksums import texts_sha256
from pie_embed.data.embeddings import write_embeddings
from pie_embed.data.manifest import EmbeddingManifest
from pie_embed.data.readers import read_instructions
from pie_embed.embedding.embedder import InstructionEmbedder
from pie_embed.embedding.static import StaticEncoder
from pie_embed.embedding.stats import EncodeStats


@dataclass
class EmbedFileResult:
    """Where the embeddings went and what the run did."""

    output: Path
    manifest_path: Path
    manifest: EmbeddingManifest
    stats: EncodeStats


def embedding_manifest(
    embedder: InstructionEmbedder | StaticEncoder,
    *,
    count: int,
    texts_sha256: str,
    embeddings_sha256: str = "",
    source: str | None = None,
    **extra: object,
) -> EmbeddingManifest:
    """The manifest of vectors ``embedder`` made: its settings, the counts and checksums, and ``extra``."""
    settings = embedder.describe()
    return EmbeddingManifest(
        model=str(settings["model"]),
        prompt=str(settings["prompt"]),
        pooling=str(settings["pooling"]),
        normalize=bool(settings["normalize"]),
        dimension=embedder.dimension,
        count=count,
        texts_sha256=texts_sha256,
        embeddings_sha256=embeddings_sha256,
        source=source,
        extra={
            "model_fingerprint": settings["model_fingerprint"],
            "max_length": settings["max_length"],
            "instruction_tokens_only": settings["instruction_tokens_only"],
            "precision": settings["precision"],
            **extra,
        },
    )


def embed_file(
    embedder: InstructionEmbedder | StaticEncoder,
    input_path: str | Path,
    output_path: str | Path,
    *,
    field: str = "instruction",
    input_field: str = "input",
    join: str = "none",
    split: str | None = None,
    store_texts: bool = True,
) -> EmbedFileResult:
    """Read ``input_path`` (any supported format), embed every row in order, write ``.npy`` or
    ``.parquet`` plus ``<output>.manifest.json``."""
    dataset = read_instructions(input_path, field=field, input_field=input_field, join=join, split=split)
    texts = dataset.texts
    vectors, stats = embedder.encode_with_stats(texts)
    manifest = embedding_manifest(
        embedder,
        count=int(vectors.shape[0]),
        texts_sha256=texts_sha256(texts),
        source=str(input_path),
        field=field,
        join=join,
        truncated=stats.truncated,
    )
    manifest_path = write_embeddings(output_path, vectors, manifest, texts=texts if store_texts else None)
    return EmbedFileResult(Path(output_path), manifest_path, manifest, stats)
