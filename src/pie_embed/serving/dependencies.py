"""What the routes share, as FastAPI dependencies: the serving state, input checks, and embedding a
request through a batcher with client-disconnect and back-pressure handling."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Annotated, Any, TypeVar

import numpy as np
from fastapi import Depends, Request

from pie_embed.data.text import clean_text, surrogate_problem
from pie_embed.serving.batcher import ClosingError, EncodedTexts, MicroBatcher, QueueFullError
from pie_embed.serving.responses import ApiError
from pie_embed.serving.state import ServingState

RETRY_AFTER_SECONDS = "1"
T = TypeVar("T")


class ClientGone(Exception):
    """The client closed the connection before its answer was ready."""


def serving_state(request: Request) -> ServingState:
    """The loaded models, batchers and metrics of this application."""
    return request.app.state.serving


State = Annotated[ServingState, Depends(serving_state)]


async def _until_disconnect(request: Request) -> None:
    # FastAPI has read the body already, so the next ASGI message is the disconnect.
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def unless_client_leaves(request: Request, work: Awaitable[T]) -> T:
    """Await ``work``, cancelling it if the client disconnects first (its texts then never reach the
    model: the batcher drops cancelled requests)."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_until_disconnect(request))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
    if not task.done():
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        raise ClientGone
    return task.result()


def read_inputs(state: ServingState, value: str | list[str], endpoint: str) -> list[str]:
    """The request's texts, checked against the server's limits (413) and for empty or broken text (422)."""
    config = state.config
    texts = [value] if isinstance(value, str) else value
    if not texts:
        raise ApiError(422, "input is empty: give a string or a non-empty list of strings", param="input")
    if len(texts) > config.max_inputs:
        raise ApiError(
            413,
            f"input has {len(texts)} items; this server takes at most {config.max_inputs} per request "
            "(--max-inputs)",
            param="input",
            code="too_many_inputs",
        )
    for i, text in enumerate(texts):
        if len(text) > config.max_chars:
            raise ApiError(
                413,
                f"input[{i}] has {len(text)} characters; this server takes at most {config.max_chars} "
                "per input (--max-chars)",
                param=f"input[{i}]",
                code="input_too_long",
            )
        if not clean_text(text).strip():  # nothing but whitespace and control characters
            raise ApiError(422, f"input[{i}] is empty", param=f"input[{i}]")
        if (problem := surrogate_problem(text)) is not None:
            raise ApiError(422, f"input[{i}] is not valid Unicode: {problem}", param=f"input[{i}]")
    state.metrics.inputs.labels(endpoint).inc(len(texts))
    return texts


def _busy(state: ServingState, error: Exception, code: str) -> ApiError:
    if code == "queue_full":
        state.metrics.rejected.labels(code).inc()
    return ApiError(503, str(error), code=code, headers={"Retry-After": RETRY_AFTER_SECONDS})


async def embed_texts(
    state: ServingState, http: Request, batcher: MicroBatcher, texts: list[str], endpoint: str
) -> EncodedTexts:
    """The texts' vectors from ``batcher``; 503 with Retry-After when its queue is full or closing."""
    try:
        encoded = await unless_client_leaves(http, batcher.submit(texts))
    except QueueFullError as error:
        raise _busy(state, error, "queue_full") from None
    except ClosingError as error:
        raise _busy(state, error, "shutting_down") from None
    if not np.isfinite(encoded.vectors).all():
        raise RuntimeError("the model produced non-finite values")
    state.metrics.tokens.labels(endpoint).inc(sum(encoded.tokens))
    return encoded


async def run_after(
    state: ServingState, http: Request, texts: list[str], function: Callable[..., T], *args: Any
) -> T:
    """Run ``function(*args)`` on the model thread after the texts' batch (search, identification)."""
    try:
        return await unless_client_leaves(http, state.run_after(len(texts), function, *args))
    except QueueFullError as error:
        raise _busy(state, error, "queue_full") from None


def check_model(state: ServingState, name: str | None, *others: str) -> None:
    """404 unless ``name`` is None, a served model name or one of ``others``."""
    if name is not None and name not in (*state.model_names, *others):
        raise ApiError(
            404,
            f"model {name!r} is not served here; use {state.model_names[0]!r} (see GET /v1/models)",
            param="model",
            code="model_not_found",
        )


def usage(encoded: EncodedTexts) -> dict[str, int]:
    """OpenAI's usage block: the tokens the model read."""
    tokens = int(sum(encoded.tokens))
    return {"prompt_tokens": tokens, "total_tokens": tokens}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses of a route."""
    import pie_embed.serving.schemas as schemas

    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        responses[status] = {"model": schemas.ErrorResponse}
        if status == 503:
            retry = {"description": "Seconds to wait before retrying.", "schema": {"type": "string"}}
            responses[status]["headers"] = {"Retry-After": retry}
    return responses


BODY_ERRORS = error_responses(401, 404, 413, 422, 503)
