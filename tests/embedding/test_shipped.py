"""Shipped models: a weight change with a model card in its metadata, loaded over an offline base."""

from __future__ import annotations

import copy

import pytest
import torch

from pie_embed.embedding import models
from pie_embed.embedding.offline import OFFLINE_MODELS, LocalModel, OfflineModel
from pie_embed.embedding.shipped import (
    SHIPPED_MODELS,
    ShippedModel,
    file_digest,
    read_card,
    read_shipped,
    write_shipped,
)
from pie_embed.embedding.weight_delta import compress_delta
from pie_embed.errors import ModelNotFoundError


@pytest.fixture
def tiny_shipped(tiny_encoder, tiny_encoder_dir, tmp_path, monkeypatch):
    """``tiny-shipped``: a rank-2 change of the tiny encoder, registered over an offline alias ``tiny``."""
    base = OfflineModel(
        "tiny",
        package="numpy",  # any installed distribution: the locator below finds the weights
        description="the tiny test encoder",
        family="encoder",
        install_hint="-",
        locator=lambda model, cache: LocalModel(tiny_encoder_dir, None, "encoder", "0"),
    )
    tuned = copy.deepcopy(tiny_encoder.model)
    torch.manual_seed(3)
    with torch.no_grad():
        tuned.encoder.layer[1].output.dense.weight.add_(torch.randn(32, 2) @ torch.randn(2, 64) * 0.05)
    card = {
        "base": "tiny",
        "settings": {"pooling": "mean", "max_length": 64},
        "panel": [{"set": "x", "mean": 0.5}],
    }
    delta = compress_delta(tiny_encoder.model.state_dict(), tuned.state_dict(), rank=4)
    path = write_shipped(delta, card, tmp_path / "t.safetensors")
    monkeypatch.setitem(OFFLINE_MODELS, "tiny", base)
    shipped = ShippedModel("tiny-shipped", base="tiny", file=str(path), recipe="-", description="test")
    monkeypatch.setitem(SHIPPED_MODELS, "tiny-shipped", shipped)
    return shipped, tuned


def test_a_shipped_model_loads_as_its_base_plus_the_change(tiny_shipped, tiny_encoder, tmp_path) -> None:
    shipped, tuned = tiny_shipped
    loaded = models.load_model("tiny-shipped", cache_dir=tmp_path)
    assert loaded.name == "tiny-shipped"
    assert loaded.default_pooling == "mean" and loaded.max_length == 64  # from the card's settings
    assert loaded.fingerprint.startswith("tiny@") and loaded.fingerprint.endswith(file_digest(shipped.path))
    assert "tiny-shipped" in models.known_aliases()
    by_path = models.load_model(str(shipped.path), cache_dir=tmp_path)  # a rebuilt file, by its path
    assert by_path.fingerprint == loaded.fingerprint  # the same bytes: the same vectors, the same caches
    assert by_path.name == str(shipped.path)
    ids = tiny_encoder.tokenizer(["summarize the article"], return_tensors="pt")
    with torch.no_grad():
        got = loaded.model(**ids).last_hidden_state
        want = tuned(**ids).last_hidden_state
        plain = tiny_encoder.model(**ids).last_hidden_state
    torch.testing.assert_close(got, want, atol=2e-3, rtol=0)  # fp16 factors
    assert not torch.allclose(got, plain, atol=1e-3)  # the change was applied


def test_the_card_travels_in_the_file(tiny_shipped) -> None:
    shipped, _ = tiny_shipped
    delta, card, fingerprint = read_shipped(shipped.path)
    assert card["panel"] == [{"set": "x", "mean": 0.5}]
    assert len(fingerprint) == 16
    assert sorted(delta) == [
        "encoder.layer.1.output.dense.weight.delta_down",
        "encoder.layer.1.output.dense.weight.delta_up",
    ]


def test_a_missing_or_broken_file_says_which(tmp_path) -> None:
    with pytest.raises(ModelNotFoundError, match="nothing.safetensors: shipped model file not found"):
        read_shipped(tmp_path / "nothing.safetensors")
    from pie_embed.embedding.weight_delta import save_delta

    broken = tmp_path / "broken.safetensors"
    save_delta({"a.delta": torch.zeros(1)}, broken, {"pie_embed_card": "{not json"})
    for read in (read_shipped, read_card):
        with pytest.raises(
            ModelNotFoundError, match="broken.safetensors: the model card in its metadata is not JSON"
        ):
            read(broken)
    damaged = tmp_path / "damaged.safetensors"
    damaged.write_bytes(b"\x00" * 20)
    with pytest.raises(ModelNotFoundError, match="damaged.safetensors: not a readable safetensors file"):
        read_shipped(damaged)


@pytest.mark.parametrize("alias", sorted(SHIPPED_MODELS))
def test_every_shipped_model_is_in_the_package_with_its_full_card(alias) -> None:
    """The committed files: under 5 MB, over an installed base, with a card that carries the panel over
    at least 20 k-means seeds, at least 3 training seeds with their spread, the rebuild tolerance, the
    ship rule's checks and the data's licences."""
    path = SHIPPED_MODELS[alias].path
    assert path.is_file() and path.stat().st_size <= 5 * 2**20
    card = read_card(path)
    assert card["alias"] == alias and card["base"] == SHIPPED_MODELS[alias].base in OFFLINE_MODELS
    assert card["recipe"] == SHIPPED_MODELS[alias].recipe and card["settings"]["pooling"] == "mean"
    panel = card["panel"]
    assert panel["seeds"] >= 20 and all(len(s.get("seed_scores", [0] * 20)) >= 20 for s in panel["scores"])
    sets = [s["set"] for s in panel["scores"]]
    assert sets[:2] == ["IEB ICT", "IEB IIS"] and len(sets) == 9 == len(panel["base_scores"])
    runs = card["training_seeds"]["runs"]
    assert len(runs) >= 3 and len({r["seed"] for r in runs}) == len(runs)
    assert card["training_seeds"]["shipped_seed"] == card["training_config"]["seed"]
    means = sorted(r["panel_mean"] for r in runs)
    assert panel["panel_mean"] == pytest.approx(means[(len(means) - 1) // 2])  # the median run ships
    assert set(card["tolerance"]) == {"panel_mean", "IEB ICT", "IEB IIS"}
    assert {s["licence"] for s in card["sources"]} and all(s["origin"] for s in card["sources"])
    assert [c["check"][:10] for c in card["ship_rule"]][:2] == ["panel mean", "no dev set"]
    assert card["intended_use"] and card["weaknesses"] and card["description"]
