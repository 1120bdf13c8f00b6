"""`--engine ray`: the embedding job's encoder spread over a pool of Ray actors, one machine or a cluster.

The job reads, chunks, deduplicates and writes as it does for every encoder (:mod:`embedding.job`);
:class:`RayEncoder` splits each call's texts into blocks that the actors embed in parallel, each actor
holding one model, started once and kept for the whole job. Point ``address`` at ``ray://head:10001``
(or run on a cluster node with ``address="auto"``) to scale out; without one, Ray starts on this
machine and the actors form a local worker pool.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from pie_embed.deprecation import renamed_arguments
from pie_embed.embedding.compile import large_input
from pie_embed.embedding.config import EmbedderConfig
from pie_embed.embedding.embedder import InstructionEmbedder
from pie_embed.embedding.protocol import EncoderBase
from pie_embed.embedding.stats import EncodeStats
from pie_embed.errors import ConfigError, DataError
from pie_embed.extras import import_extra

BLOCK_ROWS = 1024  # texts per actor call


class _EmbedActor:
    """Holds one embedder; Ray calls it with blocks of texts."""

    def __init__(self, config: EmbedderConfig, threads: int) -> None:
        import torch

        torch.set_num_threads(threads)
        self.embedder = InstructionEmbedder.from_config(config)

    def encode(self, texts: list[str], batch_size: int | None) -> tuple[np.ndarray, EncodeStats]:
        return self.embedder.encode_with_stats(texts, batch_size, show_progress_bar=False)


def actor_cpus(ray: Any, workers: int) -> int:
    """CPUs to reserve for each of ``workers`` actors: an equal share of the cluster's (this machine's,
    without one), at most what its largest node has, so that every actor can be placed."""
    total = int(ray.cluster_resources().get("CPU", os.cpu_count() or 1))
    nodes = [int(node["Resources"].get("CPU", 0)) for node in ray.nodes() if node["Alive"]]
    largest = max(nodes, default=total)
    return max(1, min(total // workers, largest))


class RayEncoder(EncoderBase):
    """An :class:`InstructionEmbedder` spread over ``workers`` Ray actors (this machine's Ray, or a
    cluster's with ``address``). Every job and tool takes it wherever it takes an encoder: ``pie embed``,
    `pie select` and `pie correlate` with ``--engine ray``."""

    @renamed_arguments(batch_rows="block_rows")
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
        self.ray = import_extra("ray", "ray")
        self.config = config
        self.workers = workers
        self.address = address
        self.block_rows = block_rows
        self.embedder = InstructionEmbedder.from_config(config)  # describes the vectors
        self.normalize = self.embedder.normalize
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
            per_actor = actor_cpus(ray, self.workers)
            actor = ray.remote(num_cpus=per_actor)(_EmbedActor)
            self._actors = [actor.remote(self.config, per_actor) for _ in range(self.workers)]
        return self._actors

    def _embed(
        self, texts: list[str], batch_size: int | None, show_progress: bool | None, normalize: bool
    ) -> tuple[np.ndarray, EncodeStats]:
        """The texts in blocks of ``block_rows``, spread over the actors; ``batch_size`` applies inside
        each actor, which normalizes as its settings say."""
        if normalize != self.embedder.normalize:
            raise ConfigError("the Ray actors normalize as their settings say: set normalize there")
        from ray.util import ActorPool

        size = self.block_rows
        blocks = [texts[start : start + size] for start in range(0, len(texts), size)]
        found = list(
            ActorPool(self._pool()).map(lambda actor, block: actor.encode.remote(block, batch_size), blocks)
        )
        vectors = np.concatenate([np.asarray(v, np.float32) for v, _ in found])
        if len(vectors) != len(texts):
            raise DataError(f"ray returned {len(vectors)} vectors for {len(texts)} texts")
        parts = [stats for _, stats in found]
        stats = EncodeStats(
            count=len(texts),
            unique=sum(s.unique for s in parts),
            truncated=sum(s.truncated for s in parts),
            batches=sum(s.batches for s in parts),
            tokens=[n for s in parts for n in s.tokens],
        )
        return vectors, stats
