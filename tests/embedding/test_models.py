import warnings

import pytest

from pie_embed.embedding import models
from pie_embed.embedding.models import ALIASES, DEFAULT_MODEL, load_model, model_fingerprint
from pie_embed.embedding.shipped import SHIPPED_MODELS
from pie_embed.errors import ModelNotFoundError


def test_the_default_is_the_shipped_task_aware_model_and_its_base_keeps_its_names() -> None:
    assert ALIASES["default"] == DEFAULT_MODEL == "pie-general" and DEFAULT_MODEL in SHIPPED_MODELS
    assert ALIASES["minilm"] == "all-minilm-l6-v2" == SHIPPED_MODELS["pie-general"].base
    assert ALIASES["pie-minilm"] == "pie-ieb" in SHIPPED_MODELS  # the IEB-label model's old name
    assert {"pie-general", "pie-ieb", "all-minilm-l6-v2", "default"} <= set(models.known_aliases())


def test_fingerprints_follow_the_weights_not_the_alias(tiny_encoder_dir, tmp_path) -> None:
    """An alias that moves to other weights gets another fingerprint; a folder's changes with its files."""
    assert model_fingerprint("default") == model_fingerprint("pie-general")
    assert model_fingerprint("default") != model_fingerprint("all-minilm-l6-v2")
    assert model_fingerprint("minilm") == model_fingerprint("all-minilm-l6-v2").split("+")[0]
    assert model_fingerprint("pie-general").startswith("all-minilm-l6-v2@")  # base@version+file digest
    assert model_fingerprint("pie-general") != model_fingerprint("pie-ieb")
    assert model_fingerprint("some-org/some-hub-model") is None  # known once loaded
    loaded = load_model(str(tiny_encoder_dir), cache_dir=tmp_path)
    assert loaded.fingerprint == model_fingerprint(str(tiny_encoder_dir))


def test_a_missing_shipped_file_says_reinstall(monkeypatch, tmp_path) -> None:
    from pie_embed.embedding.shipped import ShippedModel

    gone = ShippedModel(
        "pie-gone", base="all-minilm-l6-v2", file=str(tmp_path / "x.safetensors"), recipe="-", description="-"
    )
    monkeypatch.setitem(SHIPPED_MODELS, "pie-gone", gone)
    with pytest.raises(ModelNotFoundError, match=r"x.safetensors: shipped model file not found \(reinstall"):
        load_model("pie-gone", cache_dir=tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert model_fingerprint("all-minilm-l6-v2")
