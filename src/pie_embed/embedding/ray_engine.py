"""`--engine ray`: the embedding job's encoder spread over a pool of Ray actors, one machine or a cluster.

The job reads, chunks, deduplicates and writes as it does for every encoder (:mod:`embedding.job`);
:class:`RayEncoder` splits each call's texts into blocks that the actors embed in parallel, each actor
holding one model, started once and kept for the whole job. Point ``address`` at ``ray://head:10001``
(or run on a cluster node with ``address="auto"``) to scale out; without one, Ray starts on this
machine and the actors form a local worker pool.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from pie_embed.data.text import checked_texts
from pie_embed.embedding.compile import large_input
from pie_embed.embedding.config import EmbedderConfig
from pie_embed.embedding.embedder import InstructionEmbedder
from pie_embed.embedding.protocol import TextEncoder
from pie_embed.embedding.stats import EncodeStats
from pie_embed.errors import ConfigError, DataError, MissingExtraError

BLOCK_ROWS = 1024  # texts per actor call


class _EmbedActor:
    """Holds one embedder; Ray calls it with blocks of texts."""

    def __init__(self, config: EmbedderConfig, threads: int) -> None:
        import torch

        torch.set_num_threads(threads)
        self.embedder = InstructionEmbedder.from_config(config)

    def encode(self, texts: list[str], batch_size: int | None) -> tuple[np.ndarray, EncodeStats]:
        return self.embedder.encode_with_stats(texts, batch_size, show_progress_bar=False)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingExtraError("ray", "ray") from None
    return ray


class RayEncoder(TextEncoder):
    """An :class:`InstructionEmbedder` spread over ``workers`` Ray actors (this machine's Ray, or a
    cluster's with ``address``). Every job and tool takes it wherever it takes an encoder: ``pie embed``,
    `pie select` and `pie correlate` with ``--engine ray``."""

    def __init__(
        self,
        config: EmbedderConfig,
        *,
        workers: int = 1,
        address: str | None = None,
        block_rows: int = BLOCK_ROWS,
    ) -> None:
        if workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {workers}")
        self.ray = _import_ray()
        self.config = config
        self.workers = workers
        self.address = address
        self.block_rows = block_rows
        self.embedder = InstructionEmbedder.from_config(config)  # describes the vectors
        self._actors: list[Any] = []

    @property
    def model_name(self) -> str:
        return self.embedder.model_name

    @property
    def dimension(self) -> int:
        return self.embedder.dimension

    @property
    def config_key(self) -> str:
        return self.embedder.config_key  # the actors make the same vectors

    def describe(self) -> dict[str, object]:
        return {**self.embedder.describe(), "engine": "ray", "workers": self.workers}

    def expect_input(self, input_bytes: int) -> None:
        """Each actor embeds a large share of a large input: compile there, as the local engine would."""
        if not self._actors and self.config.torch_compile is None and large_input(input_bytes):
            self.config = self.config.replace(torch_compile=True)

    def _pool(self) -> list[Any]:
        """The actors, started on first use: Ray connected (or started here) once."""
        if not self._actors:
            ray = self.ray
            if not ray.is_initialized():
                ray.init(
                    address=self.address,
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                )
            cpus = os.cpu_count() or 1
            local = self.address is None
            actor = ray.remote(num_cpus=cpus / self.workers if local else 1)(_EmbedActor)
            threads = max(1, cpus // self.workers) if local else cpus
            self._actors = [actor.remote(self.config, threads) for _ in range(self.workers)]
        return self._actors

    def encode_with_stats(
        self,
        texts: Sequence[str],
        batch_size: int | None = None,
        show_progress_bar: bool | None = None,
        normalize_embeddings: bool | None = None,
    ) -> tuple[np.ndarray, EncodeStats]:
        """Vectors of ``texts`` in input order, float32 [n, dimension]. ``batch_size`` applies inside each
        actor; the actors normalize as their settings say."""
        if normalize_embeddings is not None and normalize_embeddings != self.embedder.normalize:
            raise ConfigError("the Ray actors normalize as their settings say: set normalize there")
        started = time.perf_counter()
        checked = checked_texts(texts)
        if not checked:
            return np.zeros((0, self.dimension), np.float32), EncodeStats()
        from ray.util import ActorPool

        blocks = [
            checked[start : start + self.block_rows] for start in range(0, len(checked), self.block_rows)
        ]
        pool = ActorPool(self._pool())
        found = list(pool.map(lambda actor, block: actor.encode.remote(block, batch_size), blocks))
        vectors = np.concatenate([np.asarray(v, np.float32) for v, _ in found])
        if len(vectors) != len(checked):
            raise DataError(f"ray returned {len(vectors)} vectors for {len(checked)} texts")
        parts = [stats for _, stats in found]
        stats = EncodeStats(
            count=len(checked),
            unique=sum(s.unique for s in parts),
            truncated=sum(s.truncated for s in parts),
            batches=sum(s.batches for s in parts),
            seconds=time.perf_counter() - started,
            tokens=[n for s in parts for n in s.tokens],
        )
        return vectors, stats
