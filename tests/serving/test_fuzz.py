"""The service's endpoints under generated request bodies: any JSON value in any field, malformed JSON,
wrong content types, huge and odd inputs. Each answer is a 2xx with one result per input, or a 4xx
with a JSON error body; never a 500, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pie_embed.serving.app import create_app
from pie_embed.serving.config import ServerConfig
from pie_embed.serving.state import ServingState
from pie_embed.tools import ServingToolkit

ENDPOINTS = {"/v1/embeddings": "input", "/v1/identify": "input", "/v1/retrieve": "input"}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
inputs = st.one_of(
    json_values,
    st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=5),
    st.just("word " * 5_000),  # long: truncated by the model, or refused by --max-chars
)
bodies = st.fixed_dictionaries(
    {"input": inputs},
    optional={
        "model": json_values,
        "top": json_values,
        "k": json_values,
        "prompt": json_values,
        "encoding_format": st.sampled_from(["float", "base64", "hex", 3]),
        "dimensions": json_values,
    },
)
raw = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"", b"{", b"[]", b"null", b'{"input": }', b"\xff\xfe", b'{"input": "a"']),
)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def api(serve_files: dict[str, Path]):
    config = ServerConfig(
        model=str(serve_files["model"]), index=serve_files["index"], bank=[serve_files["bank"]], labeler=False
    )
    state = ServingState.load(config, ServingToolkit())
    with TestClient(create_app(state), raise_server_exceptions=False) as client:
        yield client


def assert_answer(response, body: object) -> None:
    assert response.status_code < 500, (response.status_code, response.text, body)
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["error"]["message"]
        return
    assert response.status_code == 200
    given = body["input"] if isinstance(body, dict) else None
    count = 1 if isinstance(given, str) else len(given)  # type: ignore[arg-type]
    assert len(response.json()["data"]) == count


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_generated_bodies_get_results_or_a_json_error(api: TestClient, path: str) -> None:
    @FUZZ
    @given(body=bodies)
    def run(body: dict) -> None:
        response = api.post(path, content=json.dumps(body), headers={"content-type": "application/json"})
        assert_answer(response, body)

    run()


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_malformed_bytes_get_a_json_error(api: TestClient, path: str) -> None:
    @FUZZ
    @given(content=raw, content_type=st.sampled_from(["application/json", "text/plain", ""]))
    def run(content: bytes, content_type: str) -> None:
        response = api.post(path, content=content, headers={"content-type": content_type})
        assert 400 <= response.status_code < 500, (response.status_code, response.text, content)
        assert response.json()["error"]["message"] and "Traceback" not in response.text

    run()
