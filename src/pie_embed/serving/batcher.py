"""Micro-batching: concurrent requests share one model call.

Requests wait in a bounded queue. The worker takes the first, waits at most ``max_wait`` seconds for
more (up to ``max_batch`` texts, whole requests only), runs the model once on a worker thread, and hands
each request its rows. While the model runs, new requests gather for the next call, so under load the
batches fill without any waiting. A request that would overflow the queue is refused at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

logger = logging.getLogger(__name__)


@dataclass
class EncodedTexts:
    """Vectors for some texts, in order, with the tokens each took."""

    vectors: np.ndarray
    tokens: list[int]


class BatchObserver(Protocol):
    def observe_batch(self, texts: int, requests: int, seconds: float) -> None: ...


class QueueFullError(Exception):
    """The queue cannot take the request now; the client should retry later."""

    def __init__(self, waiting: int, wanted: int, capacity: int) -> None:
        super().__init__(
            f"server busy: {waiting} texts are waiting and this request adds {wanted} "
            f"(queue holds {capacity}); retry shortly"
        )


class ClosingError(Exception):
    """The server is shutting down and takes no new work."""


@dataclass
class _Job:
    texts: list[str]
    future: asyncio.Future[EncodedTexts]


class MicroBatcher:
    """Merges concurrent :meth:`submit` calls into calls of ``encode`` on ``executor``."""

    def __init__(
        self,
        encode: Callable[[list[str]], EncodedTexts],
        executor: Executor,
        *,
        max_batch: int = 64,
        max_wait: float = 0.002,
        max_queue: int = 8192,
        observer: BatchObserver | None = None,
    ) -> None:
        self.encode = encode
        self.executor = executor
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.max_queue = max_queue
        self.observer = observer
        self.waiting = 0  # texts queued and not yet handed to the model
        self.closing = False
        self._jobs: deque[_Job] = deque()
        self._arrived = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._worker: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the worker on the running event loop."""
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._run(), name="pie-batcher")

    async def submit(self, texts: list[str]) -> EncodedTexts:
        """Vectors for ``texts``, computed together with whatever else is queued. Cancelling the
        caller (a client that went away) drops the request before the model sees it."""
        if self.closing or self._worker is None or self._worker.done():
            raise ClosingError("server is shutting down")
        if self.waiting + len(texts) > self.max_queue:
            raise QueueFullError(self.waiting, len(texts), self.max_queue)
        job = _Job(texts, asyncio.get_running_loop().create_future())
        self._jobs.append(job)
        self.waiting += len(texts)
        self._idle.clear()
        self._arrived.set()
        return await job.future

    async def stop(self, timeout: float = 30.0) -> None:
        """Refuse new work, finish what is queued (for at most ``timeout`` seconds), stop the worker."""
        self.closing = True
        if self._worker is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        self._worker = None

    async def _gather(self) -> list[_Job]:
        while not self._jobs:
            self._arrived.clear()
            await self._arrived.wait()
        deadline = time.monotonic() + self.max_wait
        while self.waiting < self.max_batch:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                break
        jobs = [self._jobs.popleft()]
        size = len(jobs[0].texts)
        while self._jobs and size + len(self._jobs[0].texts) <= self.max_batch:
            jobs.append(self._jobs.popleft())
            size += len(jobs[-1].texts)
        self.waiting -= size
        return jobs

    async def _run(self) -> None:
        try:
            while True:
                jobs = [job for job in await self._gather() if not job.future.done()]  # done: client gone
                try:
                    await self._serve(jobs)
                except Exception as error:  # noqa: BLE001  (a bug here must not strand the requests)
                    logger.exception("micro-batcher failed on a batch")
                    _fail(jobs, error)
                if not self._jobs:
                    self._idle.set()
        finally:
            # Stopped or crashed: nothing queued may wait forever, and nothing new may queue.
            self.closing = True
            _fail(list(self._jobs), ClosingError("server is shutting down"))
            self._jobs.clear()
            self.waiting = 0
            self._idle.set()

    async def _serve(self, jobs: list[_Job]) -> None:
        if not jobs:
            return
        texts = [text for job in jobs for text in job.texts]
        started = time.perf_counter()
        try:
            result = await asyncio.get_running_loop().run_in_executor(self.executor, self.encode, texts)
        except Exception as error:  # noqa: BLE001  (each request gets its own verdict below)
            await self._run_alone(jobs, error)
            return
        if self.observer is not None:
            self.observer.observe_batch(len(texts), len(jobs), time.perf_counter() - started)
        self._hand_out(jobs, result)

    def _hand_out(self, jobs: list[_Job], result: EncodedTexts) -> None:
        start = 0
        for job in jobs:
            end = start + len(job.texts)
            if not job.future.done():
                job.future.set_result(EncodedTexts(result.vectors[start:end], result.tokens[start:end]))
            start = end

    async def _run_alone(self, jobs: list[_Job], error: Exception) -> None:
        """A failed shared call: rerun each request alone so one bad request fails only itself."""
        if len(jobs) == 1:
            if not jobs[0].future.done():
                jobs[0].future.set_exception(error)
            return
        loop = asyncio.get_running_loop()
        for job in jobs:
            try:
                result = await loop.run_in_executor(self.executor, self.encode, job.texts)
            except Exception as alone:  # noqa: BLE001
                if not job.future.done():
                    job.future.set_exception(alone)
            else:
                if not job.future.done():
                    job.future.set_result(result)


def _fail(jobs: list[_Job], error: BaseException) -> None:
    for job in jobs:
        if not job.future.done():
            job.future.set_exception(error)
