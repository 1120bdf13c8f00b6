"""JSON responses and OpenAI-style error bodies (``{"error": {"message", "type", "param", "code"}}``)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

ERROR_TYPES = {
    401: "authentication_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    500: "server_error",
    503: "overloaded_error",
}


class ApiError(Exception):
    """An error answered to the client as it is: status, one-line message, and optional details."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.headers = headers or {}


def error_payload(status: int, message: str, param: str | None = None, code: str | None = None) -> bytes:
    detail = {"message": message, "type": ERROR_TYPES.get(status, "invalid_request_error"), "param": param}
    return orjson.dumps({"error": {**detail, "code": code}})


def error_response(error: ApiError) -> Response:
    return Response(
        error_payload(error.status, error.message, error.param, error.code),
        status_code=error.status,
        headers=error.headers,
        media_type="application/json",
    )


def json_response(payload: Any) -> Response:
    """orjson writes numpy float32 rows directly, several times faster than json + tolist()."""
    return Response(orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json")
