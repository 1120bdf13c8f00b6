"""ASGI middleware around the API: request metrics, bearer-token authentication, a body-size limit.

Plain ASGI rather than Starlette's BaseHTTPMiddleware: they run before FastAPI reads the body, so an
unauthenticated or oversized request is answered without the body ever being parsed.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pie_embed.serving.metrics import ServerMetrics
from pie_embed.serving.responses import error_payload

# metric label for each path the API serves; anything else is counted as "other"
ENDPOINTS = {
    "/v1/embeddings",
    "/v1/identify",
    "/v1/retrieve",
    "/v1/models",
    "/health",
    "/metrics",
    "/openapi.json",
    "/docs",
}
# paths that stay open with an API key set: liveness probes and the API description
PUBLIC_PATHS = {"/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


async def send_error(
    send: Send, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> None:
    body = error_payload(status, message, code=code)
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value
    return None


class RequestMetrics:
    """Counts every response by endpoint and status, and times it to the last byte."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        endpoint = scope["path"] if scope["path"] in ENDPOINTS else "other"
        status = 499  # no answer at all: the client left (nginx's "client closed request")
        started = time.perf_counter()

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed)
        except BaseException:
            if status == 499:
                status = 500
            raise
        finally:
            self.metrics.requests.labels(endpoint, str(status)).inc()
            self.metrics.latency.labels(endpoint).observe(time.perf_counter() - started)


class BearerAuth:
    """With an API key set, every path but :data:`PUBLIC_PATHS` needs ``Authorization: Bearer <key>``."""

    def __init__(self, app: ASGIApp, api_key: str | None, metrics: ServerMetrics) -> None:
        self.app = app
        self.expected = api_key.encode() if api_key else None
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.expected is None or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"authorization") or b""
        scheme, _, token = given.partition(b" ")
        if scheme.lower() != b"bearer" or not hmac.compare_digest(token.strip(), self.expected):
            self.metrics.rejected.labels("unauthorized").inc()
            message = (
                "missing API key: send 'Authorization: Bearer <key>'" if not given else "invalid API key"
            )
            await send_error(send, 401, message, "invalid_api_key", {"WWW-Authenticate": "Bearer"})
            return
        await self.app(scope, receive, send)


class BodyLimit:
    """Answers 413 for bodies over ``max_bytes``, by Content-Length or, for chunked uploads, by counting."""

    def __init__(self, app: ASGIApp, max_bytes: int, metrics: ServerMetrics) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.metrics = metrics

    async def _refuse(self, send: Send, size: str) -> None:
        self.metrics.rejected.labels("body_too_large").inc()
        await send_error(
            send,
            413,
            f"request body is {size} bytes; this server accepts at most {self.max_bytes} (--max-body-bytes)",
            "body_too_large",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in {"POST", "PUT", "PATCH"}:
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send, declared.decode())
            return
        # Read the whole body here (bounded), then replay it to the app.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send, f"more than {self.max_bytes}")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
