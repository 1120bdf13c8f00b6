"""The application in-process (Starlette's test client): response bodies match the OpenAPI schema, and
failures never leak a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from fastapi.testclient import TestClient

from pie_embed.serving.app import create_app
from pie_embed.serving.config import ServerConfig
from pie_embed.serving.state import ServingState
from pie_embed.tools import ServingToolkit


@pytest.fixture(scope="module")
def state(serve_files: dict[str, Path]) -> ServingState:
    config = ServerConfig(
        model=str(serve_files["model"]), index=serve_files["index"], bank=[serve_files["bank"]], labeler=False
    )
    return ServingState.load(config, ServingToolkit())


@pytest.fixture(scope="module")
def api(state: ServingState):
    with TestClient(create_app(state), raise_server_exceptions=False) as client:
        yield client


def response_schema(openapi: dict, path: str, method: str, status: str) -> dict:
    content = openapi["paths"][path][method]["responses"][status]["content"]["application/json"]
    return {**content["schema"], "components": openapi["components"]}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/embeddings", {"input": ["a", "b"], "model": "tiny-unused", "encoding_format": "float"}),
        ("/v1/embeddings", {"input": "a", "model": "tiny-unused"}),
        ("/v1/embeddings", {"input": "a", "model": "tiny-unused", "encoding_format": "base64"}),
        ("/v1/identify", {"input": ["Translate it."], "top": 2}),
        ("/v1/retrieve", {"input": "Translate it.", "k": 2, "prompt": True}),
        ("/health", None),
        ("/v1/models", None),
    ],
)
def test_responses_validate_against_the_openapi_schema(
    api: TestClient, state: ServingState, path, body
) -> None:
    openapi = api.get("/openapi.json").json()
    if body is not None and "model" in body:
        body["model"] = state.model_names[0]
    response = api.post(path, json=body) if body is not None else api.get(path)
    assert response.status_code == 200, response.text
    method = "post" if body is not None else "get"
    jsonschema.validate(response.json(), response_schema(openapi, path, method, "200"))


def test_error_bodies_validate_against_the_openapi_schema(api: TestClient, state: ServingState) -> None:
    openapi = api.get("/openapi.json").json()
    for body, status in [
        ({"input": [], "model": state.model_names[0]}, 422),
        ({"input": "a", "model": "x"}, 404),
    ]:
        response = api.post("/v1/embeddings", json=body)
        assert response.status_code == status
        jsonschema.validate(response.json(), response_schema(openapi, "/v1/embeddings", "post", str(status)))


def test_a_crash_is_a_500_without_a_traceback(api: TestClient, state: ServingState, monkeypatch) -> None:
    def explode(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(state.identifier, "identify_vectors", explode)
    response = api.post("/v1/identify", json={"input": "x"})
    assert response.status_code == 500
    assert response.json()["error"]["message"].startswith("internal server error")
    assert "secret" not in response.text and "Traceback" not in response.text


def test_library_errors_are_422(api: TestClient, state: ServingState, monkeypatch) -> None:
    from pie_embed.errors import DataError

    def refuse(*args, **kwargs):
        raise DataError("text 0 is an empty instruction")

    monkeypatch.setattr(state.identifier, "identify_vectors", refuse)
    response = api.post("/v1/identify", json={"input": "x"})
    assert response.status_code == 422 and "empty instruction" in response.json()["error"]["message"]


def test_loopback_detection() -> None:
    assert ServerConfig(host="127.0.0.1").loopback and ServerConfig(host="::1").loopback
    assert ServerConfig(host="localhost").loopback
    assert not ServerConfig(host="0.0.0.0").loopback and not ServerConfig(host="192.168.1.5").loopback


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"max_inputs": 100, "max_queue": 10}, "--max-queue (10) must be at least --max-inputs (100)"),
        ({"max_batch": 0}, "--max-batch: Input should be greater than or equal to 1"),
        ({"port": 70000}, "--port: Input should be less than or equal to 65535"),
        ({"api_key": " "}, "--api-key: must be non-empty printable ASCII"),
        ({"api_key": "key "}, "--api-key: must be non-empty printable ASCII"),
        ({"log_level": "loud"}, "--log-level: Input should be 'critical', 'error'"),
        ({"batch_wait_ms": -1}, "--batch-wait-ms: Input should be greater than or equal to 0"),
        ({"index": Path("/nonexistent/index")}, "no such index folder"),
        ({"bank": [Path("/nonexistent/bank.jsonl")]}, "no such task bank file"),
    ],
)
def test_config_errors_name_the_setting(settings: dict, fragment: str) -> None:
    from pie_embed.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        ServerConfig(**settings)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_lone_surrogates_are_refused_not_crashed_on(api: TestClient, state: ServingState) -> None:
    model = json.dumps(state.model_names[0])
    body = '{"input": ["fine", "bad \\ud800 text"], "model": ' + model + "}"
    response = api.post("/v1/embeddings", content=body, headers={"content-type": "application/json"})
    assert (
        response.status_code == 422 and "input[1] is not valid Unicode" in response.json()["error"]["message"]
    )


def test_trailing_slashes_are_404s_not_redirects(api: TestClient) -> None:
    response = api.post("/v1/embeddings/", json={"input": "x", "model": "x"}, follow_redirects=False)
    assert response.status_code == 404 and response.json()["error"]["message"] == "no such endpoint"


def test_odd_text_gets_vectors_or_a_json_error(api: TestClient, state: ServingState) -> None:
    """Any text in a request: 200 with one vector or identification per input, or a 4xx JSON error."""
    from hypothesis import HealthCheck, given, settings

    from tests.data.test_odd_text import expected, odd_text

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(text=odd_text)
    def run(text: str) -> None:
        body = json.dumps({"input": [text, "Sort it."], "model": state.model_names[0]})  # \ud800 escapes
        for path in ("/v1/embeddings", "/v1/identify"):
            response = api.post(path, content=body, headers={"content-type": "application/json"})
            if expected(text) is not None:
                assert response.status_code == 200, response.text
                assert len(response.json()["data"]) == 2
            else:  # a lone surrogate, or nothing but whitespace and control characters
                assert response.status_code == 422 and "Traceback" not in response.text
                assert "input[0]" in response.text or "text 0" in response.text

    run()


def test_loading_without_tools_still_works_for_one_release(serve_files: dict[str, Path]):
    config = ServerConfig(model=str(serve_files["model"]), bank=[serve_files["bank"]], labeler=False)
    with pytest.warns(DeprecationWarning, match="serve\\(config\\) without tools= is deprecated"):
        state = ServingState.load(config)
    assert state.identifier is not None
