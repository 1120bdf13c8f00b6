"""`pie embed --engine ray`: the same job on Ray Data, from one machine to a cluster.

read (Ray's reader for the format) -> map_batches(texts) -> map_batches(actor pool, one model per actor)
-> write_parquet. Order is preserved, so the Parquet files, read in name order, hold the rows in input
order; a ``manifest.json`` written afterwards makes the folder readable by ``read_embeddings``.
Point ``address`` at ``ray://head:10001`` (or run on a cluster node with ``address="auto"``) to scale out;
without one, Ray starts on this machine and the actors form a local worker pool.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pie_embed.data.atomic import atomic_write_text
from pie_embed.data.checksums import RunningChecksums
from pie_embed.data.manifest import EmbeddingManifest
from pie_embed.data.ray_parquet import MANIFEST_FILE, RAY_FORMAT, iter_ray_parts, ray_parts
from pie_embed.data.readers import JOIN_MODES, check_path, join_text
from pie_embed.embedding.compile import input_is_large
from pie_embed.embedding.config import EmbedderConfig
from pie_embed.embedding.embedder import InstructionEmbedder
from pie_embed.embedding.files import embedding_manifest
from pie_embed.errors import ConfigError, DataError, MissingExtraError


@dataclass
class RayResult:
    folder: Path
    manifest_path: Path
    rows: int
    dimension: int
    files: int
    workers: int
    seconds: float


class _EmbedActor:
    """Holds one embedder; Ray calls it with batches of texts."""

    def __init__(self, config: EmbedderConfig, threads: int) -> None:
        import torch

        torch.set_num_threads(threads)
        self.embedder = InstructionEmbedder.from_config(config)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        texts = [str(text) for text in batch["text"]]
        vectors = self.embedder.encode(texts, show_progress_bar=False)
        return {"text": texts, "embedding": list(vectors)}


def _texts(
    batch: dict[str, np.ndarray], field: str, input_field: str, join: str, source: str
) -> dict[str, Any]:
    if field not in batch:
        raise DataError(f"{source}: missing column {field!r} (columns: {', '.join(map(repr, batch))})")
    texts = []
    for i, value in enumerate(batch[field]):
        if not isinstance(value, str) or not value.strip():
            raise DataError(f"{source}: empty or non-string instruction in field {field!r} ({value!r})")
        extra = batch[input_field][i] if join != "none" and input_field in batch else ""
        texts.append(join_text(value, extra if isinstance(extra, str) else "", join))
    return {"text": texts}


def _read(ray: Any, path: Path, split: str | None) -> Any:
    suffix = path.suffix.lower()
    if path.is_dir():
        import datasets

        loaded = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            loaded = loaded[split or "train"]
        return ray.data.from_huggingface(loaded)
    if suffix == ".jsonl":
        return ray.data.read_json(str(path), lines=True)
    if suffix == ".parquet":
        return ray.data.read_parquet(str(path))
    if suffix == ".csv":
        return ray.data.read_csv(str(path))
    raise ConfigError(f"{path}: the ray engine reads .jsonl, .parquet, .csv or a saved HF dataset folder")


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingExtraError("ray", "ray") from None
    return ray


def _start_ray(ray: Any, address: str | None) -> None:
    """Connect to ``address`` (or start Ray on this machine) once, in order-preserving quiet mode."""
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False


def _embed_on_actors(
    ray: Any, dataset: Any, config: EmbedderConfig, workers: int, batch_rows: int, address: str | None
) -> Any:
    """``dataset`` (a "text" column) with an "embedding" column from a pool of ``workers`` model actors."""
    cpus = os.cpu_count() or 1
    threads = max(1, cpus // workers) if address is None else cpus
    return dataset.map_batches(
        _EmbedActor,
        fn_constructor_kwargs={"config": config, "threads": threads},
        batch_size=batch_rows,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=workers),
        # Ray must keep a CPU free for the read tasks, or actors holding every CPU starve them (deadlock);
        # the actors' torch threads use the cores regardless of this bookkeeping.
        num_cpus=max(0.1, (cpus - 1) / workers) if address is None else 1,
    )


class RayEncoder:
    """``encode()`` like :class:`InstructionEmbedder`, spread over a pool of Ray actors (this machine's Ray,
    or a cluster's with ``address``). The tools take it wherever they take an embedder: `pie select` and
    `pie correlate` with ``--engine ray``, where embedding is nearly all of the work."""

    def __init__(
        self,
        config: EmbedderConfig,
        *,
        workers: int = 1,
        address: str | None = None,
        batch_rows: int = 1024,
    ) -> None:
        if workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {workers}")
        self.ray = _import_ray()
        self.config = config
        self.workers = workers
        self.address = address
        self.batch_rows = batch_rows
        self.embedder = InstructionEmbedder.from_config(config)  # describes the vectors

    @property
    def model_name(self) -> str:
        return self.embedder.model_name

    @property
    def dimension(self) -> int:
        return self.embedder.dimension

    def describe(self) -> dict[str, object]:
        return {**self.embedder.describe(), "engine": "ray", "workers": self.workers}

    def encode(
        self,
        sentences: str | Sequence[str],
        batch_size: int | None = None,
        show_progress_bar: bool | None = None,
        normalize_embeddings: bool | None = None,
    ) -> np.ndarray:
        """Vectors of ``sentences`` in input order, float32 [n, dimension] (one text: [dimension]).
        ``batch_size`` applies inside each actor; the actors normalize as their settings say."""
        import pyarrow as pa

        if normalize_embeddings is not None and normalize_embeddings != self.embedder.normalize:
            raise ConfigError("the Ray actors normalize as their settings say: set normalize there")
        if isinstance(sentences, str):
            return self.encode([sentences], batch_size)[0]
        texts = list(sentences)
        for i, text in enumerate(texts):
            if not isinstance(text, str) or not text.strip():
                raise DataError(f"text {i} is an empty or non-string instruction")
        if not texts:
            return np.zeros((0, self.dimension), np.float32)
        _start_ray(self.ray, self.address)
        # One block per batch, so that every actor of the pool gets work.
        blocks = [
            pa.table({"text": texts[start : start + self.batch_rows]})
            for start in range(0, len(texts), self.batch_rows)
        ]
        dataset = _embed_on_actors(
            self.ray,
            self.ray.data.from_arrow(blocks),
            self.config if batch_size is None else self.config.replace(batch_size=batch_size),
            self.workers,
            self.batch_rows,
            self.address,
        )
        parts = [
            np.asarray(list(batch["embedding"]), dtype=np.float32)
            for batch in dataset.iter_batches(batch_format="numpy", batch_size=None)
        ]
        vectors = np.concatenate(parts)
        if len(vectors) != len(texts):
            raise DataError(f"ray returned {len(vectors)} vectors for {len(texts)} texts")
        return vectors


def embed_with_ray(
    config: EmbedderConfig,
    input_path: str | Path,
    output: str | Path,
    *,
    field: str = "instruction",
    input_field: str = "input",
    join: str = "none",
    split: str | None = None,
    workers: int = 1,
    batch_rows: int = 1024,
    address: str | None = None,
) -> RayResult:
    """Embed ``input_path`` on Ray Data with ``workers`` model actors, each building its embedder from
    ``config`` (as does this process, to describe the output)."""
    ray = _import_ray()
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    if join not in JOIN_MODES and not ("{instruction}" in join and "{input}" in join):
        raise ConfigError(f"invalid join {join!r}")
    input_path, output = Path(input_path), Path(output)
    check_path(input_path)
    if output.exists() and any(output.iterdir()):
        raise DataError(f"{output}: exists and is not empty; choose a new folder for the ray engine")
    started = time.perf_counter()
    if config.torch_compile is None and input_is_large(input_path):
        config = config.replace(torch_compile=True)  # each actor embeds a large share of the input
    embedder = InstructionEmbedder.from_config(config)
    _start_ray(ray, address)
    source = str(input_path)
    dataset = _read(ray, input_path, split).map_batches(
        _texts,
        fn_kwargs={"field": field, "input_field": input_field, "join": join, "source": source},
        batch_format="numpy",
    )
    dataset = _embed_on_actors(ray, dataset, config, workers, batch_rows, address)
    output.mkdir(parents=True, exist_ok=True)
    dataset.write_parquet(str(output))
    manifest = _manifest(output, embedder, source)
    manifest_path = output / MANIFEST_FILE
    atomic_write_text(
        manifest_path, json.dumps({"format": RAY_FORMAT, **manifest.to_dict()}, indent=2) + "\n"
    )
    parts = len(ray_parts(output))
    seconds = time.perf_counter() - started
    return RayResult(output, manifest_path, manifest.count, manifest.dimension, parts, workers, seconds)


def _manifest(folder: Path, embedder: InstructionEmbedder, source: str) -> EmbeddingManifest:
    """Count and checksums over the written files, streamed (the same digests as the local engine)."""
    checksums = RunningChecksums()
    for texts, vectors in iter_ray_parts(folder):
        checksums.add(texts, vectors)
    return embedding_manifest(
        embedder,
        count=checksums.count,
        texts_sha256=checksums.texts_sha256,
        embeddings_sha256=checksums.embeddings_sha256,
        source=source,
        engine="ray",
    )
