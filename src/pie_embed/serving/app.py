"""The FastAPI application: OpenAI-compatible embeddings, task identification, demonstration retrieval."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from pie_embed import __version__
from pie_embed.errors import PieError
from pie_embed.serving import schemas
from pie_embed.serving.batcher import ClosingError, EncodedTexts, MicroBatcher, QueueFullError
from pie_embed.serving.middleware import BearerAuth, BodyLimit, RequestMetrics
from pie_embed.serving.responses import ApiError, error_response, json_response
from pie_embed.serving.state import ServingState
from pie_embed.tools.retrieve import few_shot_prompt
from pie_embed.tools.vectors import unit_rows

logger = logging.getLogger("pie_embed.serving")
RETRY_AFTER_SECONDS = "1"


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": schemas.ErrorResponse} for status in statuses}


BODY_ERRORS = _errors(401, 413, 422, 503)


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
    )
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes, metrics=state.metrics)
    app.add_middleware(BearerAuth, api_key=config.api_key, metrics=state.metrics)
    app.add_middleware(RequestMetrics, metrics=state.metrics)
    _add_error_handlers(app, state)

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
            if not text.strip():
                raise ApiError(422, f"input[{i}] is empty", param=f"input[{i}]")
        state.metrics.inputs.labels(endpoint).inc(len(texts))
        return texts

    async def embed(batcher: MicroBatcher, texts: list[str], endpoint: str) -> EncodedTexts:
        try:
            encoded = await batcher.submit(texts)
        except QueueFullError as error:
            state.metrics.rejected.labels("queue_full").inc()
            retry = {"Retry-After": RETRY_AFTER_SECONDS}
            raise ApiError(503, str(error), code="queue_full", headers=retry) from None
        except ClosingError as error:
            raise ApiError(
                503, str(error), code="shutting_down", headers={"Retry-After": RETRY_AFTER_SECONDS}
            ) from None
        state.metrics.tokens.labels(endpoint).inc(sum(encoded.tokens))
        return encoded

    def check_model(name: str | None) -> None:
        if name is not None and name not in state.model_names:
            raise ApiError(
                404,
                f"model {name!r} is not served here; use {state.model_names[0]!r} (see GET /v1/models)",
                param="model",
                code="model_not_found",
            )

    def usage(encoded: EncodedTexts) -> dict[str, int]:
        tokens = int(sum(encoded.tokens))
        return {"prompt_tokens": tokens, "total_tokens": tokens}

    @app.post(
        "/v1/embeddings", response_model=schemas.EmbeddingResponse, responses=_errors(401, 404, 413, 422, 503)
    )
    async def embeddings(request: schemas.EmbeddingRequest) -> Response:
        """OpenAI-compatible embeddings: point the `openai` client's `base_url` at this server."""
        check_model(request.model)
        dimension = state.embedder.dimension
        if request.dimensions is not None and request.dimensions > dimension:
            raise ApiError(
                422,
                f"dimensions={request.dimensions} is more than the model's {dimension}",
                param="dimensions",
            )
        texts = read_inputs(request.input, "/v1/embeddings")
        encoded = await embed(state.embed_batcher, texts, "/v1/embeddings")
        vectors = encoded.vectors
        if request.dimensions is not None and request.dimensions < dimension:
            vectors = unit_rows(vectors[:, : request.dimensions])
        if request.encoding_format == "base64":
            rows: Any = [base64.b64encode(np.asarray(v, "<f4").tobytes()).decode("ascii") for v in vectors]
        else:
            rows = np.ascontiguousarray(vectors, np.float32)
        data = [{"object": "embedding", "embedding": rows[i], "index": i} for i in range(len(texts))]
        return json_response(
            {"object": "list", "data": data, "model": request.model, "usage": usage(encoded)}
        )

    @app.post("/v1/identify", response_model=schemas.IdentifyResponse, responses=BODY_ERRORS | _errors(404))
    async def identify(request: schemas.IdentifyRequest) -> Response:
        """The task label and the nearest known tasks of each instruction."""
        identifier = state.identifier
        if identifier is None:
            raise ApiError(
                404,
                "task identification is off on this server (start it with --bank FILE)",
                code="not_enabled",
            )
        check_model(request.model)
        texts = read_inputs(request.input, "/v1/identify")
        encoded = await embed(state.embed_batcher, texts, "/v1/identify")
        found = await state.run(identifier.identify_vectors, texts, encoded.vectors, request.top)
        data = [{"index": i, **item.to_dict()} for i, item in enumerate(found)]
        return json_response(
            {"object": "list", "data": data, "model": state.model_names[0], "usage": usage(encoded)}
        )

    @app.post("/v1/retrieve", response_model=schemas.RetrieveResponse, responses=BODY_ERRORS | _errors(404))
    async def retrieve(request: schemas.RetrieveRequest) -> Response:
        """The top-k demonstrations for each query from the index loaded at start."""
        index, batcher = state.index, state.index_batcher
        if index is None or batcher is None:
            raise ApiError(
                404, "no retrieval index is loaded (start the server with --index FOLDER)", code="not_enabled"
            )
        texts = read_inputs(request.input, "/v1/retrieve")
        encoded = await embed(batcher, texts, "/v1/retrieve")
        found = await state.run(index.demonstrations, encoded.vectors, request.k)
        field, input_field = str(index.settings["field"]), str(index.settings["input_field"])
        data = []
        for i, (text, demos) in enumerate(zip(texts, found, strict=True)):
            prompt = None
            if request.prompt:
                prompt = few_shot_prompt({field: text}, demos, field=field, input_field=input_field)
            data.append(
                {"index": i, "query": text, "demonstrations": [vars(d) for d in demos], "prompt": prompt}
            )
        model = str(index.settings["model"])
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
            "status": "shutting_down" if state.embed_batcher.closing else "ok",
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


def _add_error_handlers(app: FastAPI, state: ServingState) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> Response:
        return error_response(error)

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
    async def crashed(request: Request, error: Exception) -> Response:
        logger.exception("%s %s failed", request.method, request.url.path)
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
