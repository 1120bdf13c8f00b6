"""What a server holds: the embedder, the optional retrieval index and task identifier, and their batchers.

The task endpoints' backends are protocols (:class:`TaskIdentifying`, :class:`DemonstrationRetrieving`)
built by a :class:`ServingTools` the caller hands in: ``pie serve`` gives the tools layer's
(:class:`pie_embed.tools.ServingToolkit`), tests may give fakes, and serving never imports the tools.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
import warnings
from collections.abc import Callable, Sequence, Sized
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from pie_embed.embedding.encoder import TextEncoder, make_encoder
from pie_embed.serving.batcher import EncodedTexts, MicroBatcher, QueueFullError
from pie_embed.serving.config import ServerConfig
from pie_embed.serving.metrics import ServerMetrics

logger = logging.getLogger(__name__)
T = TypeVar("T")


class TaskIdentifying(Protocol):
    """What ``/v1/identify`` needs: task labels and the nearest known tasks of embedded instructions."""

    bank: Sized
    labeler: object | None

    def identify_vectors(self, texts: Sequence[str], vectors: np.ndarray, top: int) -> list[Any]:
        """One result per text, each with ``to_dict()``."""
        ...


class DemonstrationRetrieving(Protocol):
    """What ``/v1/retrieve`` needs: a pool's nearest demonstrations for query vectors, and prompts."""

    settings: dict[str, Any]

    def __len__(self) -> int: ...

    def made_by(self, embedder: TextEncoder) -> bool: ...

    def use_embedder(self, embedder: TextEncoder) -> None: ...

    def embedder(self) -> TextEncoder: ...

    def demonstrations(self, vectors: np.ndarray, k: int) -> list[list[Any]]: ...

    def prompt(self, query: str, demonstrations: list[Any]) -> str:
        """A few-shot prompt of the demonstrations followed by the query."""
        ...


class ServingTools(Protocol):
    """Builds the task endpoints' backends from the server's settings."""

    def identifier(
        self, embedder: TextEncoder, bank: list[Path] | None, labeler: bool
    ) -> TaskIdentifying: ...

    def index(self, folder: Path) -> DemonstrationRetrieving: ...


def encoder(embedder: TextEncoder) -> Callable[[list[str]], EncodedTexts]:
    """The model call a batcher makes: vectors plus the tokens each text took (for usage counts)."""

    def encode(texts: list[str]) -> EncodedTexts:
        vectors, stats = embedder.encode_with_stats(texts, show_progress_bar=False)
        return EncodedTexts(vectors, stats.tokens)

    return encode


def _deprecated_default_tools() -> ServingTools:
    """The tools layer's toolkit, for callers of 0.8's ``serve(config)``; goes in the next release. Found
    by name at run time: serving itself never depends on the tools."""
    warnings.warn(
        "serve(config) without tools= is deprecated: pass tools=pie_embed.tools.ServingToolkit() "
        "(or identify=False and no index)",
        DeprecationWarning,
        stacklevel=4,
    )
    return importlib.import_module("pie_embed.tools").ServingToolkit()


class ServingState:
    """Models are loaded here, before the server binds, so that bad settings fail as one-line errors."""

    def __init__(
        self,
        config: ServerConfig,
        embedder: TextEncoder,
        identifier: TaskIdentifying | None = None,
        index: DemonstrationRetrieving | None = None,
    ) -> None:
        self.config = config
        self.embedder = embedder
        self.identifier = identifier
        self.index = index
        self.metrics = ServerMetrics()
        # One thread runs every model call: the model is not thread-safe and torch already spreads each
        # call over the cores. Searches and spaCy labeling run on a second thread, so that a big identify
        # request does not hold up the embeddings queued behind it.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pie-model")
        self.after_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pie-search")
        self.after_waiting = 0  # texts in searches and labeling, counted against --max-queue
        self.embed_batcher = self._batcher(embedder)
        self.index_batcher: MicroBatcher | None = None
        if index is not None:
            same = index.made_by(embedder)
            if same:
                index.use_embedder(embedder)
            self.index_batcher = self.embed_batcher if same else self._batcher(index.embedder())
        self.metrics.queue_depth.set_function(lambda: self.queue_depth)

    @classmethod
    def load(cls, config: ServerConfig, tools: ServingTools | None = None) -> ServingState:
        """Load everything ``config`` names (it was checked when it was made); ``tools`` builds the
        index and the identifier (needed when ``config`` asks for either)."""
        if tools is None and (config.index is not None or config.identify):
            tools = _deprecated_default_tools()
        embedder = make_encoder(config.embedder)  # a static model by name, else the transformer
        index = identifier = None
        if tools is not None and config.index is not None:
            index = tools.index(config.index)
        if tools is not None and config.identify:
            identifier = tools.identifier(embedder, config.bank, config.labeler)
        return cls(config, embedder, identifier, index)

    @property
    def batchers(self) -> list[MicroBatcher]:
        found = [self.embed_batcher]
        if self.index_batcher is not None and self.index_batcher is not self.embed_batcher:
            found.append(self.index_batcher)
        return found

    @property
    def queue_depth(self) -> int:
        """Texts waiting for a model call, over all batchers."""
        return sum(batcher.waiting for batcher in self.batchers) + self.after_waiting

    @property
    def model_names(self) -> list[str]:
        """Names /v1/embeddings accepts for ``model``: the one served first, then its other spellings."""
        names = [self.embedder.model_name, self.config.model, *self.config.served_model_names]
        return list(dict.fromkeys(names))

    def start(self) -> None:
        for batcher in self.batchers:
            batcher.start()

    async def stop(self) -> None:
        for batcher in self.batchers:
            await batcher.stop(self.config.graceful_timeout)
        self.executor.shutdown(wait=False)
        self.after_executor.shutdown(wait=False)

    async def run_after(self, texts: int, function: Callable[..., T], *args: Any) -> T:
        """Run a search or labeling step for ``texts`` texts on its thread, within the queue's bound."""
        if self.queue_depth + texts > self.config.max_queue:
            raise QueueFullError(self.queue_depth, texts, self.config.max_queue)
        self.after_waiting += texts
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.after_executor, functools.partial(function, *args))
        finally:
            self.after_waiting -= texts

    def _batcher(self, embedder: TextEncoder) -> MicroBatcher:
        return MicroBatcher(
            encoder(embedder),
            self.executor,
            max_batch=self.config.max_batch,
            max_wait=self.config.batch_wait_ms / 1000,
            max_queue=self.config.max_queue,
            observer=self.metrics,
        )
