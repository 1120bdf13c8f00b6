"""`pie serve` on the real default model (pie-general), the IEB task bank with the labeler, and an
eft_test index."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest

from pie_embed.benchmark.ieb import read_labeled
from pie_embed.tools.retrieve import DemonstrationIndex
from tests.serving.conftest import start

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def eft(ieb_dir: Path):
    return read_labeled(ieb_dir / "eft_test.json")


@pytest.fixture(scope="module")
def pool_index(tmp_path_factory, eft, minilm) -> tuple[DemonstrationIndex, Path]:
    folder = tmp_path_factory.mktemp("pool")
    pool = folder / "pool.jsonl"
    rows = [{"instruction": t, "label": lab} for t, lab in zip(eft.texts[::4], eft.labels[::4], strict=True)]
    pool.write_text("".join(json.dumps(r) + "\n" for r in rows))
    index = DemonstrationIndex.build(pool, embedder=minilm)
    return index, index.save(folder / "pool.index")


@pytest.fixture(scope="module")
def server(tmp_path_factory, pool_index):
    running = start(tmp_path_factory, ["--index", str(pool_index[1])])
    yield running
    running.stop()


def test_served_vectors_equal_the_library_s(server, default_model, eft) -> None:
    texts = eft.texts[:64]
    api = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)
    result = api.embeddings.create(input=texts, model="default")
    got = np.array([d.embedding for d in result.data], dtype=np.float32)
    np.testing.assert_allclose(got, default_model.encode(texts), atol=1e-5)


@pytest.mark.parametrize(
    ("instruction", "label", "nearest_word"),
    [
        ("Translate the following sentence into German.", "translate|sentence", "translation"),
        ("Write a haiku about the sea.", "write|haiku", "haiku"),
        ("Summarize the article in two sentences.", "summarize|article", "summarization"),
    ],
)
def test_identify_labels_and_places_known_tasks(
    server, instruction: str, label: str, nearest_word: str
) -> None:
    response = httpx.post(f"{server.url}/v1/identify", json={"input": instruction, "top": 3}, timeout=60)
    item = response.json()["data"][0]
    assert item["label"] == label
    assert nearest_word in item["nearest"][0]["task"]  # a task of the shipped bank
    assert 0.5 < item["nearest"][0]["similarity"] <= 1.0


def test_served_retrieval_equals_the_library_s(server, pool_index, eft) -> None:
    index, _ = pool_index
    queries = eft.texts[1:200:20]  # rows not in the pool (it holds every fourth)
    response = httpx.post(f"{server.url}/v1/retrieve", json={"input": queries, "k": 4}, timeout=60)
    served = [[d["pool_row"] for d in item["demonstrations"]] for item in response.json()["data"]]
    assert served == [[d.pool_row for d in demos] for demos in index.retrieve(queries, k=4)]
