"""One embedding job: a dataset in, vectors plus a manifest out, whatever the output and the engine.

``embed_to`` picks the writer: a single ``.npy`` / ``.parquet`` file (read whole), a folder of shards
(streamed, resumable) or, with ``engine="ray"``, a folder of Parquet parts written by Ray Data actors.
Every output reads back with :func:`pie_embed.data.read_embeddings`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from pie_embed.embedding.config import EmbedderConfig
from pie_embed.embedding.embedder import InstructionEmbedder
from pie_embed.embedding.encoder import check_engine, make_encoder
from pie_embed.embedding.static import StaticEncoder, is_static_model
from pie_embed.embedding.stream import DEFAULT_SHARD_ROWS
from pie_embed.errors import ConfigError


@dataclass
class EmbedResult:
    """What an embedding job wrote and did."""

    output: Path
    manifest_path: Path
    kind: str  # "file", "shards" or "ray"
    rows: int
    dimension: int
    embedded: int  # distinct texts run through the model by this run
    copied: int  # repeats filled from an earlier row's vector (shards: from an earlier shard's)
    parts: int  # shards or Parquet parts (1 for a single file)
    resumed_parts: int  # shards finished by an earlier, interrupted run
    truncated: int | None  # texts cut to the model's max length (None: not counted by this engine)
    workers: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def embed_to(
    source: str | Path,
    output: str | Path,
    embedder: EmbedderConfig | InstructionEmbedder | StaticEncoder | None = None,
    *,
    folder: bool | None = None,
    engine: str = "local",
    field: str = "instruction",
    input_field: str = "input",
    join: str = "none",
    split: str | None = None,
    shard_rows: int = DEFAULT_SHARD_ROWS,
    resume: bool = False,
    workers: int = 1,
    address: str | None = None,
) -> EmbedResult:
    """Embed every row of ``source`` into ``output``: a ``.npy`` or ``.parquet`` file, or a folder (a
    path ending in ``/``, or ``folder=True``) of shards that ``resume`` continues. ``engine="ray"`` writes
    the folder with Ray Data actors (``workers`` of them, on ``address``'s cluster if given)."""
    from pie_embed.data.embeddings import embeddings_output

    output_path, is_folder = embeddings_output(output, folder=bool(folder))
    if check_engine(engine) == "ray" and (not is_folder or resume):
        raise ConfigError("--engine ray writes a folder of Parquet files (-o DIR/) and has no --resume")
    if not is_folder and resume:
        raise ConfigError("--resume continues a folder output (-o DIR/); a single file is written at once")
    if isinstance(embedder, InstructionEmbedder | StaticEncoder):
        config = embedder.config if isinstance(embedder, InstructionEmbedder) else None
    else:
        config = embedder or EmbedderConfig()
    static = config is None or is_static_model(config.model)
    if static and engine == "ray":
        raise ConfigError("a static model embeds faster than Ray starts its workers: leave out --engine ray")
    reading = {"field": field, "input_field": input_field, "join": join, "split": split}
    started = time.perf_counter()
    if engine == "ray":
        from pie_embed.embedding.ray_engine import embed_with_ray

        assert config is not None
        done = embed_with_ray(config, source, output_path, workers=workers, address=address, **reading)
        return EmbedResult(
            done.folder, done.manifest_path, "ray", done.rows, done.dimension, done.rows, 0, done.files, 0,
            None, done.workers, time.perf_counter() - started,
        )  # fmt: skip
    model = embedder if isinstance(embedder, InstructionEmbedder | StaticEncoder) else make_encoder(config)
    if is_folder:
        from pie_embed.embedding.stream import embed_stream

        run = embed_stream(model, source, output_path, shard_rows=shard_rows, resume=resume, **reading)
        return EmbedResult(
            run.folder, run.manifest_path, "shards", run.rows, model.dimension, run.embedded, run.copied,
            run.shards, run.resumed_shards, None, 1, time.perf_counter() - started,
        )  # fmt: skip
    from pie_embed.embedding.files import embed_file

    written = embed_file(model, source, output_path, **reading)
    stats = written.stats
    return EmbedResult(
        written.output, written.manifest_path, "file", written.manifest.count, written.manifest.dimension,
        stats.unique, stats.count - stats.unique, 1, 0, stats.truncated, 1, time.perf_counter() - started,
    )  # fmt: skip
