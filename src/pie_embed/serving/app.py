"""The FastAPI application: OpenAI-compatible embeddings, task identification, demonstration retrieval."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any, TypeVar

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException
from starlette.responses import Response

from pie_embed import __version__
from pie_embed.data.text import clean_text, surrogate_problem
from pie_embed.errors import PieError
from pie_embed.serving import schemas
from pie_embed.serving.batcher import ClosingError, EncodedTexts, MicroBatcher, QueueFullError
from pie_embed.serving.middleware import PUBLIC_PATHS, BearerAuth, BodyLimit, RequestMetrics
from pie_embed.serving.responses import ApiError, error_response, json_response
from pie_embed.serving.state import ServingState
from pie_embed.tools.retrieve import few_shot_prompt
from pie_embed.tools.vectors import unit_rows

RETRY_AFTER_SECONDS = "1"
CLIENT_GONE = 499  # nginx's "client closed request": counted in metrics, never seen by a client
T = TypeVar("T")


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        responses[status] = {"model": schemas.ErrorResponse}
        if status == 503:
            retry = {"description": "Seconds to wait before retrying.", "schema": {"type": "string"}}
            responses[status]["headers"] = {"Retry-After": retry}
    return responses


BODY_ERRORS = _errors(401, 404, 413, 422, 503)


class ClientGone(Exception):
    """The client closed the connection before its answer was ready."""


async def _until_disconnect(request: Request) -> None:
    # FastAPI has read the body already, so the next ASGI message is the disconnect.
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _unless_client_leaves(request: Request, work: Awaitable[T]) -> T:
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


def create_app(state: ServingState) -> FastAPI:
    """An application over loaded models; the batchers start and stop with it."""
    config = state.config
    created = int(time.time())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.start()
        yield
        await state.stop()  # uvicorn has let in-flight requests finish by now

    app = FastAPI(
        title="pie-embed",
        version=__version__,
        description="Instruction embeddings (OpenAI-compatible), task identification and demonstration "
        "retrieval. With an API key set, send `Authorization: Bearer <key>`.",
        lifespan=lifespan,
        redirect_slashes=False,  # a JSON 404, not a redirect built from the client's Host header
    )
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes, metrics=state.metrics)
    app.add_middleware(BearerAuth, api_key=config.api_key, metrics=state.metrics)
    app.add_middleware(RequestMetrics, metrics=state.metrics)
    _add_error_handlers(app)
    if config.api_key:
        _declare_bearer_auth(app)

    def read_inputs(value: str | list[str], endpoint: str) -> list[str]:
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

    def busy(error: Exception, code: str) -> ApiError:
        if code == "queue_full":
            state.metrics.rejected.labels(code).inc()
        return ApiError(503, str(error), code=code, headers={"Retry-After": RETRY_AFTER_SECONDS})

    async def embed(http: Request, batcher: MicroBatcher, texts: list[str], endpoint: str) -> EncodedTexts:
        try:
            encoded = await _unless_client_leaves(http, batcher.submit(texts))
        except QueueFullError as error:
            raise busy(error, "queue_full") from None
        except ClosingError as error:
            raise busy(error, "shutting_down") from None
        if not np.isfinite(encoded.vectors).all():
            raise RuntimeError("the model produced non-finite values")
        state.metrics.tokens.labels(endpoint).inc(sum(encoded.tokens))
        return encoded

    async def after(http: Request, texts: list[str], function: Callable[..., T], *args: Any) -> T:
        try:
            return await _unless_client_leaves(http, state.run_after(len(texts), function, *args))
        except QueueFullError as error:
            raise busy(error, "queue_full") from None

    def check_model(name: str | None, *others: str) -> None:
        if name is not None and name not in (*state.model_names, *others):
            raise ApiError(
                404,
                f"model {name!r} is not served here; use {state.model_names[0]!r} (see GET /v1/models)",
                param="model",
                code="model_not_found",
            )

    def usage(encoded: EncodedTexts) -> dict[str, int]:
        tokens = int(sum(encoded.tokens))
        return {"prompt_tokens": tokens, "total_tokens": tokens}

    @app.post("/v1/embeddings", response_model=schemas.EmbeddingResponse, responses=BODY_ERRORS)
    async def embeddings(body: schemas.EmbeddingRequest, http: Request) -> Response:
        """OpenAI-compatible embeddings: point the `openai` client's `base_url` at this server."""
        check_model(body.model)
        dimension = state.embedder.dimension
        if body.dimensions is not None and body.dimensions > dimension:
            raise ApiError(
                422, f"dimensions={body.dimensions} is more than the model's {dimension}", param="dimensions"
            )
        texts = read_inputs(body.input, "/v1/embeddings")
        encoded = await embed(http, state.embed_batcher, texts, "/v1/embeddings")
        vectors = encoded.vectors
        if body.dimensions is not None and body.dimensions < dimension:
            vectors = unit_rows(vectors[:, : body.dimensions])
        if body.encoding_format == "base64":
            rows: Any = [base64.b64encode(np.asarray(v, "<f4").tobytes()).decode("ascii") for v in vectors]
        else:
            rows = np.ascontiguousarray(vectors, np.float32)
        data = [{"object": "embedding", "embedding": rows[i], "index": i} for i in range(len(texts))]
        return json_response({"object": "list", "data": data, "model": body.model, "usage": usage(encoded)})

    @app.post("/v1/identify", response_model=schemas.IdentifyResponse, responses=BODY_ERRORS)
    async def identify(body: schemas.IdentifyRequest, http: Request) -> Response:
        """The task label and the nearest known tasks of each instruction."""
        identifier = state.identifier
        if identifier is None:
            raise ApiError(
                404,
                "task identification is off on this server (start it with --bank FILE)",
                code="not_enabled",
            )
        check_model(body.model)
        texts = read_inputs(body.input, "/v1/identify")
        encoded = await embed(http, state.embed_batcher, texts, "/v1/identify")
        found = await after(http, texts, identifier.identify_vectors, texts, encoded.vectors, body.top)
        data = [{"index": i, **item.to_dict()} for i, item in enumerate(found)]
        payload = {"object": "list", "data": data, "model": state.model_names[0], "usage": usage(encoded)}
        return json_response(payload)

    @app.post("/v1/retrieve", response_model=schemas.RetrieveResponse, responses=BODY_ERRORS)
    async def retrieve(body: schemas.RetrieveRequest, http: Request) -> Response:
        """The top-k demonstrations for each query from the index loaded at start."""
        index, batcher = state.index, state.index_batcher
        if index is None or batcher is None:
            raise ApiError(
                404, "no retrieval index is loaded (start the server with --index FOLDER)", code="not_enabled"
            )
        model = str(index.settings["model"])
        check_model(body.model, model)
        texts = read_inputs(body.input, "/v1/retrieve")
        encoded = await embed(http, batcher, texts, "/v1/retrieve")
        found = await after(http, texts, index.demonstrations, encoded.vectors, body.k)
        field, input_field = str(index.settings["field"]), str(index.settings["input_field"])
        data = []
        for i, (text, demos) in enumerate(zip(texts, found, strict=True)):
            prompt = None
            if body.prompt:
                prompt = few_shot_prompt({field: text}, demos, field=field, input_field=input_field)
            data.append(
                {"index": i, "query": text, "demonstrations": [vars(d) for d in demos], "prompt": prompt}
            )
        return json_response({"object": "list", "data": data, "model": model, "usage": usage(encoded)})

    @app.get("/v1/models", response_model=schemas.ModelList, responses=_errors(401))
    async def models() -> dict[str, Any]:
        """The served model under each name it answers to."""
        cards = [
            {"id": n, "object": "model", "created": created, "owned_by": "pie-embed"}
            for n in state.model_names
        ]
        return {"object": "list", "data": cards}

    @app.get("/health", response_model=schemas.Health)
    async def health() -> dict[str, Any]:
        """Liveness and what is loaded; open even with an API key set."""
        return {
            "status": "ok",
            "model": state.model_names[0],
            "dimension": state.embedder.dimension,
            "queue_depth": state.queue_depth,
            "index_rows": None if state.index is None else len(state.index),
            "identify_tasks": None if state.identifier is None else len(state.identifier.bank),
            "labeler": state.identifier is not None and state.identifier.labeler is not None,
        }

    @app.get(
        "/metrics",
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}}
        | _errors(401),
    )
    async def metrics() -> Response:
        """Prometheus metrics: requests, latency, batch sizes, queue depth."""
        return Response(state.metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")

    return app


def _declare_bearer_auth(app: FastAPI) -> None:
    """With an API key, the OpenAPI document says so (Swagger's Authorize button, generated clients)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearerAuth": {"type": "http", "scheme": "bearer"}
            }
            schema["security"] = [{"bearerAuth": []}]
            for path, operations in schema["paths"].items():
                if path in PUBLIC_PATHS:
                    for operation in operations.values():
                        operation["security"] = []
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> Response:
        return error_response(error)

    @app.exception_handler(ClientGone)
    async def client_gone(_: Request, __: ClientGone) -> Response:
        return Response(status_code=CLIENT_GONE)

    @app.exception_handler(PieError)
    async def pie_error(_: Request, error: PieError) -> Response:
        return error_response(ApiError(422, str(error)))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> Response:
        return error_response(validation_error(error))

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> Response:
        message = "no such endpoint" if error.status_code == 404 else str(error.detail)
        return error_response(ApiError(error.status_code, message, headers=dict(error.headers or {})))

    @app.exception_handler(Exception)
    async def crashed(_: Request, __: Exception) -> Response:
        # Starlette re-raises after answering, and uvicorn logs the traceback: the client sees none.
        return error_response(ApiError(500, "internal server error (details are in the server log)"))


def validation_error(error: RequestValidationError) -> ApiError:
    """The first problem of a request body as one OpenAI-style 422 line."""
    first = error.errors()[0]
    location = [str(part) for part in first.get("loc", ()) if part != "body"]
    if first.get("type") == "json_invalid":
        reason = first.get("ctx", {}).get("error", "invalid JSON")
        return ApiError(422, f"request body is not valid JSON: {reason}", code="invalid_json")
    if location and location[0] == "input" and first.get("type") != "missing":
        return ApiError(
            422,
            "input must be a string or a list of strings (token-id arrays are not supported)",
            param="input",
        )
    param = ".".join(location) or None
    message = f"{param}: {first.get('msg', 'invalid value')}" if param else str(first.get("msg"))
    return ApiError(422, message, param=param)
