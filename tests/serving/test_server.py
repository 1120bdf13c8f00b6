"""A real `pie serve` process, called with the official `openai` client and with plain HTTP."""

from __future__ import annotations

import base64
import json
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest

from pie_embed.embedding.embedder import InstructionEmbedder
from tests.serving.conftest import POOL, RunningServer, start

TEXTS = ["Translate the sentence into French.", "Summarize the report.", "Solve 3x + 1 = 7 for x."]


@pytest.fixture(scope="module")
def library(serve_files: dict[str, Path]) -> InstructionEmbedder:
    return InstructionEmbedder(str(serve_files["model"]))


def client(server: RunningServer, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0)


def assert_error(response: httpx.Response, status: int, fragment: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert fragment in error["message"]
    assert set(error) == {"message", "type", "param", "code"}
    assert "Traceback" not in response.text
    return error


# -- /v1/embeddings through the openai client ----------------------------------------------------------


def test_openai_client_embeddings_match_the_library(
    server: RunningServer, library: InstructionEmbedder
) -> None:
    expected, stats = library.encode_with_stats(TEXTS)
    tokens = stats.tokens
    for encoding in ("base64", "float"):  # the client asks for base64 unless told otherwise
        kwargs = {} if encoding == "base64" else {"encoding_format": "float"}
        result = client(server).embeddings.create(input=TEXTS, model="tiny", **kwargs)
        got = np.array([item.embedding for item in result.data], dtype=np.float32)
        assert [item.index for item in result.data] == [0, 1, 2]
        np.testing.assert_allclose(got, expected, atol=1e-5)
        assert result.usage.prompt_tokens == result.usage.total_tokens == sum(tokens)
        assert result.model == "tiny"


def test_single_string_input_and_dimensions(server: RunningServer, library: InstructionEmbedder) -> None:
    result = client(server).embeddings.create(
        input=TEXTS[0], model="tiny", dimensions=8, encoding_format="float"
    )
    vector = np.array(result.data[0].embedding)
    assert len(result.data) == 1 and vector.shape == (8,)
    full = library.encode([TEXTS[0]])[0, :8]
    np.testing.assert_allclose(vector, full / np.linalg.norm(full), atol=1e-5)  # truncated, renormalised


def test_base64_is_little_endian_float32(server: RunningServer, library: InstructionEmbedder) -> None:
    body = {"input": TEXTS[:1], "model": "tiny", "encoding_format": "base64"}
    data = httpx.post(f"{server.url}/v1/embeddings", json=body).json()["data"]
    decoded = np.frombuffer(base64.b64decode(data[0]["embedding"]), dtype="<f4")
    np.testing.assert_allclose(decoded, library.encode(TEXTS[:1])[0], atol=1e-5)


def test_models_lists_every_served_name(server: RunningServer, serve_files: dict[str, Path]) -> None:
    ids = [model.id for model in client(server).models.list()]
    assert ids[0] == str(serve_files["model"]) and "tiny" in ids


def test_unknown_model_is_a_404_the_client_understands(server: RunningServer) -> None:
    with pytest.raises(openai.NotFoundError, match="not served here"):
        client(server).embeddings.create(input="hi", model="text-embedding-3-small")


def test_concurrent_requests_share_model_calls(server: RunningServer, library: InstructionEmbedder) -> None:
    texts = [f"Translate sentence number {i} into French." for i in range(48)]
    expected = library.encode(texts)

    def one(i: int) -> np.ndarray:
        body = {"input": texts[i], "model": "tiny", "encoding_format": "float"}
        return np.array(
            httpx.post(f"{server.url}/v1/embeddings", json=body, timeout=60).json()["data"][0]["embedding"]
        )

    with ThreadPoolExecutor(16) as pool:
        got = list(pool.map(one, range(len(texts))))
    np.testing.assert_allclose(np.array(got), expected, atol=1e-5)  # every answer belongs to its request
    metrics = httpx.get(f"{server.url}/metrics").text
    requests = float(_metric(metrics, "pie_batch_requests_sum"))
    calls = float(_metric(metrics, "pie_batch_requests_count"))
    assert requests > calls  # some model calls served more than one request


def _metric(text: str, name: str) -> str:
    return next(
        line.split()[-1]
        for line in text.splitlines()
        if line.startswith(name + " ")
        or line.startswith(name + "{")
        or (name.endswith("}") and line.startswith(name))
    )


# -- identify, retrieve, health, metrics, OpenAPI ------------------------------------------------------


def test_identify_gives_nearest_tasks_of_the_bank(server: RunningServer) -> None:
    body = {"input": ["Translate the sentence into French.", "Solve the equation for x."], "top": 2}
    response = httpx.post(f"{server.url}/v1/identify", json=body)
    assert response.status_code == 200
    data = response.json()["data"]
    assert [d["index"] for d in data] == [0, 1]
    # the bank holds these exact instructions, so their own task is nearest
    assert data[0]["nearest"][0]["task"] == "translate" and data[1]["nearest"][0]["task"] == "solve"
    assert len(data[0]["nearest"]) == 2 and data[0]["nearest"][0]["examples"] == 2
    assert data[0]["label"] is None  # started with --no-labeler


def test_retrieve_returns_pool_rows_and_prompts(server: RunningServer) -> None:
    body = {"input": POOL[2]["instruction"], "k": 3, "prompt": True}
    response = httpx.post(f"{server.url}/v1/retrieve", json=body)
    assert response.status_code == 200
    item = response.json()["data"][0]
    demos = item["demonstrations"]
    assert [d["rank"] for d in demos] == [1, 2, 3]
    assert (
        demos[0]["pool_row"] == 2
        and demos[0]["row"] == POOL[2]
        and demos[0]["similarity"] == pytest.approx(1, abs=1e-5)
    )
    assert item["prompt"].count("### Instruction:") == 4 and POOL[2]["output"] in item["prompt"]


def test_health_and_metrics(server: RunningServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")  # loopback unless --host says otherwise
    health = httpx.get(f"{server.url}/health").json()
    assert health["status"] == "ok" and health["dimension"] == 32
    assert health["index_rows"] == len(POOL) and health["identify_tasks"] == 3 and health["labeler"] is False
    httpx.post(f"{server.url}/v1/embeddings", json={"input": "x", "model": "tiny"})
    text = httpx.get(f"{server.url}/metrics").text
    assert 'pie_requests_total{endpoint="/v1/embeddings",status="200"}' in text
    assert float(_metric(text, "pie_batch_size_count")) > 0
    assert float(_metric(text, 'pie_tokens_total{endpoint="/v1/embeddings"}')) > 0
    assert float(_metric(text, 'pie_request_duration_seconds_count{endpoint="/v1/embeddings"}')) > 0
    assert _metric(text, "pie_queue_depth") == "0.0"


def test_openapi_schema_is_valid_and_complete(server: RunningServer) -> None:
    from openapi_spec_validator import validate

    schema = httpx.get(f"{server.url}/openapi.json").json()
    validate(schema)
    assert {"/v1/embeddings", "/v1/identify", "/v1/retrieve", "/v1/models", "/health", "/metrics"} <= set(
        schema["paths"]
    )
    post = schema["paths"]["/v1/embeddings"]["post"]
    assert post["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorResponse"
    )


# -- bad requests ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"input": [], "model": "tiny"}, 422, "input is empty"),
        ({"input": ["ok", "  "], "model": "tiny"}, 422, "input[1] is empty"),
        ({"input": [[1, 2, 3]], "model": "tiny"}, 422, "token-id arrays are not supported"),
        ({"model": "tiny"}, 422, "input: Field required"),
        ({"input": "x"}, 422, "model: Field required"),
        ({"input": "x", "model": "tiny", "dimensions": 33}, 422, "more than the model's 32"),
        ({"input": "x", "model": "tiny", "dimensions": 0}, 422, "dimensions"),
        ({"input": "x", "model": "tiny", "encoding_format": "int8"}, 422, "encoding_format"),
        ({"input": ["x"] * 51, "model": "tiny"}, 413, "at most 50 per request"),
        ({"input": ["x" * 2001], "model": "tiny"}, 413, "input[0] has 2001 characters"),
    ],
)
def test_embedding_errors(server: RunningServer, body: dict, status: int, fragment: str) -> None:
    assert_error(httpx.post(f"{server.url}/v1/embeddings", json=body), status, fragment)


@pytest.mark.parametrize(
    ("path", "body", "status", "fragment"),
    [
        ("/v1/identify", {"input": "x", "top": 0}, 422, "top"),
        ("/v1/identify", {"input": "x", "colour": "red"}, 422, "colour"),
        ("/v1/retrieve", {"input": "x", "k": 101}, 422, "k"),
        ("/v1/retrieve", {"input": ""}, 422, "input[0] is empty"),
    ],
)
def test_identify_and_retrieve_errors(
    server: RunningServer, path: str, body: dict, status: int, fragment: str
) -> None:
    assert_error(httpx.post(f"{server.url}{path}", json=body), status, fragment)


@pytest.mark.parametrize("path", ["/v1/identify", "/v1/retrieve"])
def test_identify_and_retrieve_share_the_limits(server: RunningServer, path: str) -> None:
    assert_error(httpx.post(f"{server.url}{path}", json={"input": ["x"] * 51}), 413, "at most 50 per request")
    assert_error(httpx.post(f"{server.url}{path}", json={"input": "y" * 2001}), 413, "2001 characters")


def test_malformed_json_and_unknown_paths(server: RunningServer) -> None:
    headers = {"content-type": "application/json"}
    bad = httpx.post(f"{server.url}/v1/embeddings", content=b'{"input": "x",', headers=headers)
    assert_error(bad, 422, "not valid JSON")
    assert_error(httpx.get(f"{server.url}/v2/nothing"), 404, "no such endpoint")
    assert_error(httpx.get(f"{server.url}/v1/embeddings"), 405, "Method Not Allowed")


def test_body_limit_by_length_and_by_counting_chunks(server: RunningServer) -> None:
    big = json.dumps({"input": ["y" * 1000] * 30, "model": "tiny"}).encode()
    assert_error(httpx.post(f"{server.url}/v1/embeddings", content=big), 413, "at most 20000")

    def chunks():  # no Content-Length: the server has to count
        for offset in range(0, len(big), 4096):
            yield big[offset : offset + 4096]

    assert_error(httpx.post(f"{server.url}/v1/embeddings", content=chunks()), 413, "at most 20000")
    assert httpx.get(f"{server.url}/health").status_code == 200  # and the server is fine


# -- authentication -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory, serve_files: dict[str, Path]):
    running = start(
        tmp_path_factory,
        ["--model", str(serve_files["model"]), "--no-identify"],
        env={"PIE_API_KEY": "s3cret"},  # the key from the environment keeps it out of `ps`
    )
    yield running
    running.stop()


def test_api_key_is_required(keyed_server: RunningServer) -> None:
    url = f"{keyed_server.url}/v1/embeddings"
    body = {"input": "x", "model": "tiny-unused"}
    missing = assert_error(httpx.post(url, json=body), 401, "missing API key")
    assert missing["code"] == "invalid_api_key"
    wrong = httpx.post(url, json=body, headers={"Authorization": "Bearer nope"})
    assert_error(wrong, 401, "invalid API key")
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert_error(httpx.get(f"{keyed_server.url}/metrics"), 401, "missing API key")
    assert httpx.get(f"{keyed_server.url}/health").status_code == 200  # liveness stays open
    with pytest.raises(openai.AuthenticationError):
        client(keyed_server, "nope").embeddings.create(input="x", model="anything")
    for path in ("/v1/models", "/v1/models/", "/metrics/", "//v1/models", "/health/"):
        assert_error(httpx.get(f"{keyed_server.url}{path}"), 401, "missing API key")
    lower = httpx.get(f"{keyed_server.url}/v1/models", headers={"Authorization": "bearer s3cret"})
    assert lower.status_code == 200  # the scheme is case-insensitive (RFC 7235)
    schema = httpx.get(f"{keyed_server.url}/openapi.json").json()  # open, and it declares the scheme
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert schema["paths"]["/health"]["get"]["security"] == []
    model = httpx.get(f"{keyed_server.url}/health").json()["model"]
    result = client(keyed_server, "s3cret").embeddings.create(input="x", model=model)
    assert len(result.data[0].embedding) == 32
    assert_error(
        httpx.post(
            f"{keyed_server.url}/v1/identify", json={"input": "x"}, headers={"Authorization": "Bearer s3cret"}
        ),
        404,
        "identification is off",
    )
    no_index = httpx.post(
        f"{keyed_server.url}/v1/retrieve", json={"input": "x"}, headers={"Authorization": "Bearer s3cret"}
    )
    assert_error(no_index, 404, "no retrieval index is loaded")


# -- back-pressure and shutdown -------------------------------------------------------------------------


def test_full_queue_answers_503_with_retry_after(tmp_path_factory, serve_files) -> None:
    # A batch waits 1.5 s for company, so the first request is still queued when the second comes.
    running = start(
        tmp_path_factory,
        ["--model", str(serve_files["model"]), "--no-identify", "--max-inputs", "4", "--max-queue", "4",
         "--max-batch", "1000", "--batch-wait-ms", "1500"],
    )  # fmt: skip
    try:
        url = f"{running.url}/v1/embeddings"
        first: list[httpx.Response] = []
        model = httpx.get(f"{running.url}/health").json()["model"]
        thread = threading.Thread(
            target=lambda: first.append(
                httpx.post(url, json={"input": ["a", "b", "c"], "model": model}, timeout=30)
            )
        )
        thread.start()
        time.sleep(0.5)
        busy = httpx.post(url, json={"input": ["d", "e"], "model": model})
        error = assert_error(busy, 503, "server busy")
        assert error["code"] == "queue_full" and busy.headers["retry-after"] == "1"
        thread.join()
        assert first[0].status_code == 200 and len(first[0].json()["data"]) == 3
        metrics = httpx.get(f"{running.url}/metrics").text
        assert 'pie_rejected_total{reason="queue_full"} 1.0' in metrics
        calls = float(_metric(metrics, "pie_batch_size_count"))
        # a client that gives up while its request waits: the request never reaches the model
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(url, json={"input": ["f"], "model": model}, timeout=0.5)
        time.sleep(2.0)  # past the batch wait
        metrics = httpx.get(f"{running.url}/metrics").text
        assert float(_metric(metrics, "pie_batch_size_count")) == calls
        assert 'pie_requests_total{endpoint="/v1/embeddings",status="499"} 1.0' in metrics
        assert httpx.get(f"{running.url}/health").json()["queue_depth"] == 0
    finally:
        running.stop()


def test_sigterm_lets_in_flight_requests_finish(tmp_path_factory, serve_files) -> None:
    running = start(
        tmp_path_factory, ["--model", str(serve_files["model"]), "--no-identify", "--batch-wait-ms", "1500"]
    )
    model = httpx.get(f"{running.url}/health").json()["model"]
    answers: list[httpx.Response] = []
    thread = threading.Thread(
        target=lambda: answers.append(
            httpx.post(f"{running.url}/v1/embeddings", json={"input": TEXTS, "model": model}, timeout=30)
        )
    )
    thread.start()
    time.sleep(0.5)  # the request now waits in the batcher
    # uvicorn re-raises the signal once it has shut down, so the status is the conventional -SIGTERM
    assert running.stop() in (0, -signal.SIGTERM)
    thread.join()
    assert answers[0].status_code == 200 and len(answers[0].json()["data"]) == 3
    assert "Application shutdown complete" in running.log.read_text()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{running.url}/health")
