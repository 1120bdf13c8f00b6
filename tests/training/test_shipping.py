"""A trained folder becomes the shipped file: its weight change, with a card that holds the panel."""

from __future__ import annotations

import json

import pytest
import torch

from pie_embed.embedding.offline import OFFLINE_MODELS, LocalModel, OfflineModel
from pie_embed.embedding.shipped import read_shipped
from pie_embed.errors import DataError
from pie_embed.training.shipping import CARD_SECTION, ship_model


@pytest.fixture
def tiny_offline(tiny_encoder_dir, monkeypatch):
    """The tiny encoder as the offline alias ``tiny``."""
    base = OfflineModel(
        "tiny",
        package="numpy",
        description="the tiny test encoder",
        family="encoder",
        install_hint="-",
        locator=lambda model, cache: LocalModel(tiny_encoder_dir, None, "encoder", "0"),
    )
    monkeypatch.setitem(OFFLINE_MODELS, "tiny", base)


@pytest.fixture
def trained_folder(tiny_offline, tiny_encoder_dir, tmp_path):
    """A 'trained' copy of the tiny encoder (one matrix changed)."""
    from transformers import AutoModel

    model = AutoModel.from_pretrained(tiny_encoder_dir)
    torch.manual_seed(5)
    with torch.no_grad():
        model.encoder.layer[0].attention.self.query.weight.add_(torch.randn(32, 32) * 0.05)
    folder = tmp_path / "pie-tiny"
    model.save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if (tiny_encoder_dir / name).is_file():
            (folder / name).write_bytes((tiny_encoder_dir / name).read_bytes())
    settings = {"prompt": "none", "pooling": "mean", "max_length": 64, "training_config": {"seed": 0}}
    (folder / "pie_embed.json").write_text(json.dumps({**settings, "training_run": {"examples": 9}}))
    (folder / "README.md").write_text("# sentence-transformers card\n")
    return folder


def _mini_panel(folder):
    folder.mkdir()
    rows = [("Sort the list.", "sort"), ("Order these numbers.", "sort"), ("Translate to French.", "tr")]
    rows += [("Put this into German.", "tr"), ("Sort words by length.", "sort"), ("Say it in Spanish.", "tr")]
    lines = [json.dumps({"instruction": text, "label": label}) + "\n" for text, label in rows]
    (folder / "mini.jsonl").write_text("".join(lines))
    return folder


def test_ship_writes_the_change_and_a_card_with_panel_scores(trained_folder, ieb_dir, tmp_path) -> None:
    panel = _mini_panel(tmp_path / "panel")
    data = {"other_files": ["x.jsonl"], "ieb_rows": None}
    path = ship_model(
        trained_folder,
        recipe="r",
        data=data,
        base="tiny",
        panel_dir=panel,
        ieb_dir=ieb_dir,
        show_progress=False,
    )
    assert path == trained_folder / "pie-tiny.safetensors"
    delta, card, _ = read_shipped(path)
    assert card["base"] == "tiny" and card["data"] == data and card["settings"]["pooling"] == "mean"
    assert sorted(delta) == [
        "encoder.layer.0.attention.self.query.weight.delta"  # 32 x 32: kept whole below rank 2 * 32
    ]
    sets = [s["set"] for s in card["panel"]["scores"]]
    assert sets == ["IEB ICT", "IEB IIS", "mini"]
    assert [s["set"] for s in card["panel"]["base_scores"]] == sets
    assert card["panel"]["seeds"] == 20 and -1 <= card["panel"]["panel_mean"] <= 1
    readme = (trained_folder / "README.md").read_text()
    assert readme.startswith("# sentence-transformers card") and readme.count(CARD_SECTION) == 1
    assert "| mini |" in readme and "| panel mean |" in readme
    ship_model(trained_folder, recipe="r", data=data, base="tiny", panel_dir=None, ieb_dir=None)
    assert (trained_folder / "README.md").read_text().count(CARD_SECTION) == 1  # replaced, not appended
    assert "panel" not in read_shipped(path)[1]


def test_ship_refuses_a_folder_pie_train_did_not_make(tmp_path) -> None:
    with pytest.raises(DataError, match="pie_embed.json: not a model trained by pie train"):
        ship_model(tmp_path, recipe="r", data={}, base="tiny", panel_dir=None, ieb_dir=None)


def test_a_shipping_recipe_trains_then_writes_the_file_and_card(tiny_offline, ieb_dir, tmp_path, monkeypatch):
    from dataclasses import replace

    from pie_embed.training import recipes
    from tests.conftest import SHARED

    root = tmp_path / "data"
    root.mkdir()
    for name in ("train_other", "corpora"):
        (root / name).symlink_to(SHARED / name)
    (root / "ieb").symlink_to(ieb_dir)
    _mini_panel(root / "generalization")
    recipe = replace(
        recipes.RECIPES["general"],
        alias="pie-tiny",
        ieb_source=None,  # labeling IEB's 20k training texts is the slow part: the recipe test covers it
        other_files=("selfinstruct_seed_tasks.jsonl",),
        anchor_count=64,
    )
    monkeypatch.setitem(recipes.RECIPES, "tiny-general", recipe)
    result = recipes.run_recipe(
        "tiny-general",
        data_root=root,
        output=tmp_path / "pie-tiny",
        show_progress=False,
        base_model="tiny",
        max_length=32,
        batch_size=16,
        bf16=False,
    )
    assert result.steps > 0
    delta, card, _ = read_shipped(tmp_path / "pie-tiny" / "pie-tiny.safetensors")
    assert delta and card["recipe"] == "tiny-general" and card["base"] == "tiny"
    assert card["data"]["other_files"] == ["selfinstruct_seed_tasks.jsonl"]
    assert card["data"]["anchor_texts"] == 64 and card["training_run"]["examples"] == result.examples
    assert [s["set"] for s in card["panel"]["scores"]] == ["IEB ICT", "IEB IIS", "mini"]
