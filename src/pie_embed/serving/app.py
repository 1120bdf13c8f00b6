"""The FastAPI application: OpenAI-compatible embeddings, task identification, demonstration retrieval.

The routes live in :mod:`pie_embed.serving.routes` as ``APIRouter`` modules; they reach the loaded
models through the :func:`~pie_embed.serving.dependencies.serving_state` dependency.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException
from starlette.responses import Response

from pie_embed import __version__
from pie_embed.errors import PieError
from pie_embed.serving.dependencies import ClientGone
from pie_embed.serving.middleware import PUBLIC_PATHS, BearerAuth, BodyLimit, RequestMetrics
from pie_embed.serving.responses import ApiError, error_response
from pie_embed.serving.routes import embeddings, info, tasks
from pie_embed.serving.state import ServingState

CLIENT_GONE = 499  # nginx's "client closed request": counted in metrics, never seen by a client


def create_app(state: ServingState) -> FastAPI:
    """An application over loaded models; the batchers start and stop with it."""
    config = state.config

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
    app.state.serving = state
    app.state.created = int(time.time())
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes, metrics=state.metrics)
    app.add_middleware(BearerAuth, api_key=config.api_key, metrics=state.metrics)
    app.add_middleware(RequestMetrics, metrics=state.metrics)
    _add_error_handlers(app)
    for module in (embeddings, tasks, info):
        app.include_router(module.router)
    if config.api_key:
        _declare_bearer_auth(app)
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
