"""The recipe pipeline end to end on a small training text: label, leave out test instructions, train."""

import dataclasses
import json
from collections import Counter

import pytest

from pie_embed.errors import ConfigError, DataError
from pie_embed.training.recipes import RECIPES, run_recipe


def test_recipe_labels_then_trains(tiny_encoder_dir, tmp_path, monkeypatch):
    import pie_embed.training.recipes as recipes

    seen = {}
    real_train = recipes.train_model

    def spy(texts, labels, *args, **kwargs):
        seen["texts"], seen["labels"] = texts, labels
        return real_train(texts, labels, *args, **kwargs)

    monkeypatch.setattr(recipes, "train_model", spy)
    # the shipped file needs an offline base; tests/training/test_shipping.py covers that step
    monkeypatch.setitem(recipes.RECIPES, "ieb", dataclasses.replace(RECIPES["ieb"], ship=False))
    from tests.conftest import SHARED

    data = tmp_path / "ieb"
    data.mkdir()
    (tmp_path / "corpora").symlink_to(SHARED / "corpora")  # the anchor texts
    texts = [
        f"{verb} the {noun} {extra}."
        for verb in ("Sort", "Translate", "Count")
        for noun in ("list", "sentence", "words")
        for extra in ("now", "please", "for me", "quickly", "again")
    ]
    (data / RECIPES["ieb"].ieb_source).write_text(json.dumps(texts))
    sample = {"category": ["sort", "list"], "instruction": texts[0], "input": "", "output": ""}
    (data / "eft_test.json").write_text(json.dumps({"sort|list": {"number": 1, "samples": [sample]}}))
    result = run_recipe(
        "ieb",
        data_root=tmp_path,
        output=tmp_path / "model",
        show_progress=False,
        base_model=str(tiny_encoder_dir),
        max_length=32,
        batch_size=8,
        eval_steps=40,  # a checkpoint (and its model card) every 40 steps, not every 2
        bf16=False,
    )
    # The instruction that is also in the test file is never trained on; labels under min_count 5 are left
    # out; the others carry the labeler's label.
    assert texts[0] not in seen["texts"] and len(seen["texts"]) >= 20
    assert min(Counter(seen["labels"]).values()) >= RECIPES["ieb"].min_count
    assert seen["labels"][seen["texts"].index("Translate the list now.")] == "translate|list"
    assert result.steps > 0 and (tmp_path / "model" / "pie_embed.json").is_file()


def test_recipe_errors(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="unknown recipe"):
        run_recipe("nope")
    (tmp_path / "ieb").mkdir()
    with pytest.raises(DataError, match="not found"):
        run_recipe("ieb", data_root=tmp_path)
    monkeypatch.delenv("PIE_DATA", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="PIE_DATA"):
        run_recipe("ieb")


def test_the_old_recipe_name_warns_and_gives_the_new_one():
    from pie_embed.training.recipes import recipe_name

    with pytest.warns(
        DeprecationWarning, match="recipe 'default' is now called 'ieb' \\(its model is pie-ieb\\)"
    ):
        assert recipe_name("default") == "ieb"
    assert recipe_name("general") == "general"
    with pytest.raises(ConfigError, match="unknown recipe 'nope'; known: general, ieb"):
        recipe_name("nope")


def test_the_shipped_recipes_rebuild_in_fp32_and_the_default_trains_on_pairs():
    """Both shipped models are rebuilt in fp32 (the same model on a CPU with or without bf16); the
    default's recipe drops the third column and cuts anchors to 64 tokens, which keeps it within 20
    minutes on 2 cores without bf16 (BENCHMARKS.md, "Shipped models")."""
    general, ieb = RECIPES["general"], RECIPES["ieb"]
    assert general.alias == "pie-general" and ieb.alias == "pie-ieb" and general.ship and ieb.ship
    assert not general.config.bf16 and not ieb.config.bf16
    assert not general.config.negative_column and general.config.anchor_max_length == 64
    assert general.config.base_model == ieb.config.base_model == "all-minilm-l6-v2"


def test_recipe_data_mixes_other_sources_with_a_sample_of_ieb_rows(tmp_path):
    from pie_embed.training import TrainConfig
    from pie_embed.training.recipes import Recipe, recipe_data
    from tests.conftest import SHARED

    (tmp_path / "ieb").mkdir()
    (tmp_path / "train_other").symlink_to(SHARED / "train_other")
    texts = [
        f"{verb} the {noun} {n}."
        for verb in ("Sort", "Count")
        for noun in ("list", "words")
        for n in range(6)
    ]
    (tmp_path / "ieb" / "train.json").write_text(json.dumps(texts))
    recipe = Recipe(
        alias="x",
        config=TrainConfig(),
        ieb_source="train.json",
        ieb_rows=10,
        other_files=("selfinstruct_seed_tasks.jsonl",),
    )
    got_texts, got_labels = recipe_data(recipe, tmp_path, show_progress=False)
    assert len(got_texts) == len(got_labels) == 264 + 10  # every Self-Instruct row, then 10 IEB rows
    assert not any(label.startswith("ieb:") for label in got_labels[:264])
    assert all(label.startswith("ieb:") and "|" in label for label in got_labels[264:])
    assert set(got_texts[264:]) <= set(texts)
    again = recipe_data(recipe, tmp_path, show_progress=False)
    assert again == (got_texts, got_labels)  # the sample is seeded
    other = recipe_data(recipe, tmp_path, seed=1, show_progress=False)
    assert other[0][264:] != got_texts[264:]


def test_recipe_data_can_add_a_files_categories_as_coarse_labels(tmp_path):
    from pie_embed.training import TrainConfig
    from pie_embed.training.recipes import Recipe, recipe_data
    from tests.conftest import SHARED

    (tmp_path / "train_other").symlink_to(SHARED / "train_other")
    recipe = Recipe(
        alias="x",
        config=TrainConfig(),
        ieb_source=None,
        other_files=("sni_train_tasks.jsonl",),
        category_files=("sni_train_tasks.jsonl",),
    )
    texts, labels = recipe_data(recipe, tmp_path, show_progress=False)
    assert len(texts) == 2 * 1721 and texts[:1721] == texts[1721:]  # the same rows, labeled twice
    assert labels[0].startswith("task") and labels[1721].startswith("category:")
    assert len({label for label in labels if label.startswith("category:")}) == 60
