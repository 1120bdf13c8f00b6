"""MicroBatcher: merging, bounds, error isolation and draining, with a fake model."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from pie_embed.serving.batcher import ClosingError, EncodedTexts, MicroBatcher, QueueFullError


class FakeModel:
    """Vectors [len(text), first letter code]; records every call; fails on the text 'bad'."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> EncodedTexts:
        self.calls.append(list(texts))
        if "bad" in texts:
            raise ValueError("bad text")
        vectors = np.array([[len(t), ord(t[0])] for t in texts], dtype=np.float32)
        return EncodedTexts(vectors, [len(t) for t in texts])


def run(coroutine_function, model: FakeModel, **settings):
    async def main():
        with ThreadPoolExecutor(1) as executor:
            batcher = MicroBatcher(model, executor, **settings)
            batcher.start()
            try:
                return await coroutine_function(batcher)
            finally:
                await batcher.stop()

    return asyncio.run(main())


def test_concurrent_requests_are_one_model_call_and_get_their_own_rows() -> None:
    model = FakeModel()
    requests = [["a", "bb"], ["ccc"], ["dddd", "e", "ff"]]

    async def go(batcher: MicroBatcher):
        return await asyncio.gather(*(batcher.submit(r) for r in requests))

    results = run(go, model, max_batch=64, max_wait=0.05)
    assert model.calls == [["a", "bb", "ccc", "dddd", "e", "ff"]]
    for texts, result in zip(requests, results, strict=True):
        assert result.vectors[:, 0].tolist() == [len(t) for t in texts]
        assert result.tokens == [len(t) for t in texts]


def test_batches_hold_whole_requests_up_to_max_batch() -> None:
    model = FakeModel()

    async def go(batcher: MicroBatcher):
        return await asyncio.gather(*(batcher.submit([str(i)] * 3) for i in range(5)))

    run(go, model, max_batch=7, max_wait=0.05)
    assert [len(call) for call in model.calls] == [6, 6, 3]  # 3+3, never a split request


def test_a_request_larger_than_max_batch_runs_alone() -> None:
    model = FakeModel()
    result = run(lambda b: b.submit(["x"] * 10), model, max_batch=4, max_wait=0.0)
    assert len(result.vectors) == 10 and model.calls == [["x"] * 10]


def test_full_queue_refuses_at_once() -> None:
    model = FakeModel()

    async def go(batcher: MicroBatcher):
        first = asyncio.ensure_future(batcher.submit(["a", "b", "c"]))
        await asyncio.sleep(0.01)  # queued: the batch waits for company
        with pytest.raises(QueueFullError, match="3 texts are waiting"):
            await batcher.submit(["d", "e"])
        return await first

    result = run(go, model, max_batch=100, max_wait=0.3, max_queue=4)
    assert len(result.vectors) == 3


def test_one_bad_request_fails_alone() -> None:
    model = FakeModel()

    async def go(batcher: MicroBatcher):
        return await asyncio.gather(batcher.submit(["good"]), batcher.submit(["bad"]), return_exceptions=True)

    good, bad = run(go, model, max_wait=0.05)
    assert good.vectors[0, 0] == 4
    assert isinstance(bad, ValueError)
    assert model.calls[0] == ["good", "bad"]  # shared call failed, then each ran alone


def test_cancelled_request_is_skipped() -> None:
    model = FakeModel()

    async def go(batcher: MicroBatcher):
        gone = asyncio.ensure_future(batcher.submit(["gone"]))
        kept = asyncio.ensure_future(batcher.submit(["kept"]))
        await asyncio.sleep(0)
        gone.cancel()
        return await kept

    result = run(go, model, max_wait=0.05)
    assert result.vectors[0, 0] == 4 and model.calls == [["kept"]]


def test_stop_finishes_queued_work_then_refuses() -> None:
    model = FakeModel()

    async def main():
        with ThreadPoolExecutor(1) as executor:
            batcher = MicroBatcher(model, executor, max_wait=0.2)
            batcher.start()
            pending = asyncio.ensure_future(batcher.submit(["late"]))
            await asyncio.sleep(0)
            await batcher.stop()
            assert pending.done() and len(pending.result().vectors) == 1
            with pytest.raises(ClosingError):
                await batcher.submit(["after"])

    asyncio.run(main())


def test_a_failure_outside_the_model_fails_that_batch_only() -> None:
    class BrokenObserver:
        calls = 0

        def observe_batch(self, texts: int, requests: int, seconds: float) -> None:
            BrokenObserver.calls += 1
            if BrokenObserver.calls == 1:
                raise RuntimeError("observer bug")

    model = FakeModel()

    async def go(batcher: MicroBatcher):
        with pytest.raises(RuntimeError, match="observer bug"):
            await batcher.submit(["first"])
        return await batcher.submit(["second"])  # the worker is still alive

    result = run(go, model, max_wait=0.0, observer=BrokenObserver())
    assert result.vectors[0, 0] == 6


def test_a_dead_worker_fails_queued_requests_and_refuses_new_ones() -> None:
    async def main():
        with ThreadPoolExecutor(1) as executor:
            batcher = MicroBatcher(FakeModel(), executor, max_wait=0.5)
            batcher.start()
            queued = asyncio.ensure_future(batcher.submit(["waiting"]))
            await asyncio.sleep(0.05)
            batcher._worker.cancel()  # as if the worker died
            with pytest.raises(ClosingError):
                await queued
            with pytest.raises(ClosingError):
                await batcher.submit(["after"])
            await batcher.stop(timeout=1)

    asyncio.run(main())
