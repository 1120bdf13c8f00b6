"""The static tier: built from a tiny teacher, cached, loaded by folder or alias, usable by every tool."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from pie_embed.embedding.config import EmbedderConfig
from pie_embed.embedding.encoder import TextEncoder, make_encoder
from pie_embed.embedding.static import STATIC_MODELS, StaticEncoder, StaticRecipe, static_model_dir
from pie_embed.errors import ConfigError, DataError, ModelNotFoundError
from pie_embed.training.static import build_static_model

TOPICS = ["Translate the sentence", "Write a poem about", "Add the numbers", "Sort the list of"]
TEXTS = [f"{topic} {thing}" for topic in TOPICS for thing in ("cats", "rain", "cars", "tea", "math", "sea")]


@pytest.fixture(scope="module")
def built(tiny_encoder_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[StaticRecipe, Path]:
    teacher = str(tiny_encoder_dir)
    recipe = StaticRecipe("tiny-static", teacher=teacher, epochs=3, batch_size=8, dimensions=None)
    cache = tmp_path_factory.mktemp("cache")
    folder = build_static_model(recipe, texts=TEXTS, cache_dir=cache, show_progress=False)
    return recipe, folder


def test_build_writes_a_loadable_model_into_the_cache(built: tuple[StaticRecipe, Path]) -> None:
    recipe, folder = built
    assert folder == static_model_dir(recipe, folder.parent.parent)
    info = json.loads((folder / "pie_static.json").read_text())
    assert info["texts"] == len(TEXTS) and len(info["epoch_losses"]) == 3
    assert info["epoch_losses"][-1] < info["epoch_losses"][0]  # the fit moves the table toward the teacher
    encoder = StaticEncoder(folder)
    assert isinstance(encoder, TextEncoder) and encoder.dimension == 32
    assert encoder.model.max_length == recipe.max_tokens  # reads as far as the fit did
    vectors = encoder.encode(TEXTS[:3])
    assert vectors.shape == (3, 32) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(encoder.encode(TEXTS[0]), vectors[0], atol=1e-6)
    assert encoder.describe()["family"] == "static" and len(encoder.config_key) == 16


def test_the_one_file_form_loads_by_path_and_keeps_the_vectors(built: tuple[StaticRecipe, Path]) -> None:
    """The build also writes the form the package ships: an int8 table, the tokenizer and a card."""
    from pie_embed.embedding.static import is_static_model, read_static_file, static_fingerprint

    recipe, folder = built
    file = folder / f"{recipe.alias}.safetensors"
    table, tokenizer_json, card = read_static_file(file)
    assert card["recipe"]["alias"] == "tiny-static" and card["texts"] == len(TEXTS)
    assert table.dtype == np.float32 and json.loads(tokenizer_json)["model"]
    assert is_static_model(str(file)) and not is_static_model(str(folder / "model.safetensors"))
    from_file, from_folder = StaticEncoder(str(file)), StaticEncoder(folder)
    assert from_file.describe()["model_fingerprint"] == static_fingerprint(str(file))
    cosines = (from_file.encode(TEXTS) * from_folder.encode(TEXTS)).sum(axis=1)
    assert cosines.min() > 0.99  # int4 with a scale per row (the default storage): within rounding
    assert from_file.config_key != from_folder.config_key  # other bytes, other cache entries


def test_int8_and_int4_storage_round_each_row_within_half_a_step(tmp_path: Path) -> None:
    from pie_embed.embedding.static import read_static_file, write_static_file

    table = np.random.default_rng(0).normal(size=(50, 8)).astype(np.float32)
    table[3] = 0.0  # an all-zero row keeps a usable scale
    write_static_file(table, '{"model": {}}', {"a": 1}, tmp_path / "t.safetensors", quantize="int8")
    back, tokenizer_json, card = read_static_file(tmp_path / "t.safetensors")
    step = np.abs(table).max(axis=1, keepdims=True) / 127
    assert np.all(np.abs(back - table) <= step / 2 + 1e-7) and not back[3].any()
    assert tokenizer_json == '{"model": {}}' and card == {"a": 1}
    write_static_file(table[:, :7], "{}", {}, tmp_path / "q.safetensors", quantize="int4")  # odd width
    back4 = read_static_file(tmp_path / "q.safetensors")[0]
    step4 = np.abs(table[:, :7]).max(axis=1, keepdims=True) / 7
    assert back4.shape == (50, 7) and np.all(np.abs(back4 - table[:, :7]) <= step4 / 2 + 1e-7)
    write_static_file(table, "{}", {}, tmp_path / "f.safetensors", quantize="fp32")
    np.testing.assert_array_equal(read_static_file(tmp_path / "f.safetensors")[0], table)
    with pytest.raises(ConfigError, match="unknown static table storage 'int3'"):
        write_static_file(table, "{}", {}, tmp_path / "x.safetensors", quantize="int3")


def test_the_cache_folder_follows_the_teachers_weights_not_its_name(monkeypatch) -> None:
    """An alias that moves to other weights (the default did) must not find the old table."""
    from pie_embed.embedding import models

    recipe = StaticRecipe("s", teacher="default")
    monkeypatch.setattr(models, "model_fingerprint", lambda name: "old@1")
    before = recipe.key
    monkeypatch.setattr(models, "model_fingerprint", lambda name: "new@2")
    assert recipe.key != before


def test_vectors_match_model2vec_and_stats_count_cut_texts(built: tuple[StaticRecipe, Path]) -> None:
    encoder = StaticEncoder(built[1])
    odd = ["\u2603\u2603", "Translate " * 400, "x" * 3000, "Ünïcödé àccents", "a\tb\nc", "a " * 300]
    texts = TEXTS + odd
    vectors, stats = encoder.encode_with_stats(texts, batch_size=7)  # several tokenizer calls
    wanted = encoder.model.encode(texts, normalize=True, use_multiprocessing=False)
    np.testing.assert_allclose(vectors, wanted, atol=1e-6)
    assert stats.count == len(texts) and stats.batches == -(-len(texts) // 7)
    # cut by characters (the first two long texts) and by tokens (300 short words, 600 characters)
    assert stats.truncated == 3 and max(stats.tokens) == encoder.model.max_length
    assert len(stats.tokens) == len(texts) and stats.tokens[0] > 0


def test_a_rebuild_takes_the_teachers_vectors_from_the_cache(
    built: tuple[StaticRecipe, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pie_embed.embedding.embedder import InstructionEmbedder

    recipe, folder = built
    cache = folder.parent.parent
    assert list((cache / "embeddings").glob("*/*.npy"))

    def no_teacher(*args: object, **kwargs: object) -> None:
        raise AssertionError("the teacher ran again")

    monkeypatch.setattr(InstructionEmbedder, "encode", no_teacher)
    other = build_static_model(
        dataclasses.replace(recipe, epochs=1), texts=TEXTS, cache_dir=cache, show_progress=False
    )
    assert other != folder and StaticEncoder(other).encode(TEXTS[:2]).shape == (2, 32)


def test_fit_brings_the_student_closer_to_the_teacher(
    built: tuple[StaticRecipe, Path], tiny_encoder_dir: Path
):
    from model2vec.distill import distill_from_model

    from pie_embed.embedding.embedder import InstructionEmbedder

    teacher = InstructionEmbedder(str(tiny_encoder_dir), precision="fp32")
    raw = distill_from_model(teacher.loaded.model, teacher.loaded.tokenizer, pca_dims=None)
    pairs = np.triu_indices(len(TEXTS), 1)

    def agreement(vectors: np.ndarray) -> float:  # how well pairwise cosines follow the teacher's
        wanted = teacher.encode(TEXTS)
        return float(np.corrcoef((vectors @ vectors.T)[pairs], (wanted @ wanted.T)[pairs])[0, 1])

    before = raw.encode(TEXTS, normalize=True)
    assert agreement(StaticEncoder(built[1]).encode(TEXTS)) > agreement(before)


def test_alias_errors_and_bad_texts(built: tuple[StaticRecipe, Path], tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="neither a static alias"):
        StaticEncoder(tmp_path)
    damaged = tmp_path / "damaged.safetensors"
    damaged.write_bytes(b"not safetensors")
    with pytest.raises(ModelNotFoundError, match="damaged.safetensors: not a readable static model file"):
        StaticEncoder(str(damaged))
    with pytest.raises(ConfigError, match="unknown static model"):
        build_static_model("no-such-static", texts=TEXTS)
    with pytest.raises(ConfigError, match="data folder"):
        build_static_model("pie-static")
    encoder = StaticEncoder(built[1])
    with pytest.raises(DataError, match="text 1 is an empty instruction"):
        encoder.encode(["fine", "  "])
    assert "pie-static" in STATIC_MODELS


def test_make_encoder_and_tools_take_a_static_folder(
    built: tuple[StaticRecipe, Path], tmp_path: Path
) -> None:
    from pie_embed.tools.select import select_file

    encoder = make_encoder(EmbedderConfig(model=str(built[1])))
    assert isinstance(encoder, StaticEncoder)
    with pytest.raises(ConfigError, match="static model: it embeds faster than Ray starts"):
        make_encoder(EmbedderConfig(model=str(built[1])), engine="ray")  # no actors for a table
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"instruction": t}) + "\n" for t in TEXTS))
    result = select_file(data, 4, embedder=encoder, label_tasks=False)
    assert len(result.selection.indices) == 4


def test_embed_to_writes_static_vectors_as_file_and_shards(built: tuple[StaticRecipe, Path], tmp_path: Path):
    from pie_embed.data.embeddings import read_embeddings
    from pie_embed.embedding.job import embed_to

    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"instruction": t}) + "\n" for t in TEXTS * 2))
    config = EmbedderConfig(model=str(built[1]))
    single = embed_to(data, tmp_path / "v.npy", config)
    shards = embed_to(data, f"{tmp_path / 'shards'}/", StaticEncoder(built[1]), shard_rows=10)
    assert (single.rows, single.embedded, single.truncated) == (48, 24, 0) and shards.parts == 5
    first, manifest = read_embeddings(single.output)
    second, _ = read_embeddings(shards.output)
    np.testing.assert_allclose(first, second, atol=1e-6)
    np.testing.assert_allclose(first[:3], StaticEncoder(built[1]).encode(TEXTS[:3]), atol=1e-6)
    assert manifest.pooling == "static-mean"
    with pytest.raises(ConfigError, match="leave out --engine ray"):
        embed_to(data, f"{tmp_path / 'ray'}/", config, engine="ray")


def test_the_service_serves_a_static_model(built: tuple[StaticRecipe, Path]) -> None:
    from fastapi.testclient import TestClient

    from pie_embed.serving.app import create_app
    from pie_embed.serving.config import ServerConfig
    from pie_embed.serving.state import ServingState

    state = ServingState.load(ServerConfig(model=str(built[1]), identify=False))
    with TestClient(create_app(state)) as client:
        body = {"input": TEXTS[:2], "model": str(built[1]), "encoding_format": "float"}
        answer = client.post("/v1/embeddings", json=body).json()
        health = client.get("/health").json()
    vectors = np.array([item["embedding"] for item in answer["data"]], np.float32)
    np.testing.assert_allclose(vectors, StaticEncoder(built[1]).encode(TEXTS[:2]), atol=1e-6)
    assert answer["usage"]["prompt_tokens"] > 0 and health["dimension"] == 32


def test_reduction_keeps_the_geometry_of_text_vectors() -> None:
    """Texts are means of rows, so the table is projected without centring (centring shifts them all)."""
    from model2vec.distill.inference import apply_pca

    from pie_embed.training.static import reduce_table

    rng = np.random.default_rng(0)
    table = (rng.normal(size=(500, 32)) + 3.0 * rng.normal(size=32)).astype(np.float32)  # a shared direction
    texts = [rng.choice(500, size=6) for _ in range(60)]
    pairs = np.triu_indices(len(texts), 1)

    def cosines(rows: np.ndarray) -> np.ndarray:
        means = np.stack([rows[ids].mean(axis=0) for ids in texts])
        means /= np.linalg.norm(means, axis=1, keepdims=True)
        return (means @ means.T)[pairs]

    original = cosines(table)
    ours = np.corrcoef(cosines(reduce_table(table, 16)), original)[0, 1]
    centred = np.corrcoef(cosines(apply_pca(table.copy(), 16)), original)[0, 1]
    assert reduce_table(table, 16).shape == (500, 16) and reduce_table(table, None) is table
    assert ours > centred


def test_odd_text_follows_the_project_rule(built: tuple[StaticRecipe, Path]) -> None:
    encoder = StaticEncoder(built[1])
    with pytest.raises(DataError, match="text 0 is not valid Unicode"):
        encoder.encode(["bad \ud800 text"])
    control = encoder.encode("Sort\x00 the list")  # a control character becomes a space
    np.testing.assert_allclose(control, encoder.encode("Sort  the list"), atol=1e-6)
