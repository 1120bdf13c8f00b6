"""The recipe pipeline end to end on a small training text: label, leave out test instructions, train."""

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
    (data / RECIPES["default"].source).write_text(json.dumps(texts))
    sample = {"category": ["sort", "list"], "instruction": texts[0], "input": "", "output": ""}
    (data / "eft_test.json").write_text(json.dumps({"sort|list": {"number": 1, "samples": [sample]}}))
    result = run_recipe(
        "default",
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
    assert min(Counter(seen["labels"]).values()) >= RECIPES["default"].min_count
    assert seen["labels"][seen["texts"].index("Translate the list now.")] == "translate|list"
    assert result.steps > 0 and (tmp_path / "model" / "pie_embed.json").is_file()


def test_recipe_errors(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="unknown recipe"):
        run_recipe("nope")
    (tmp_path / "ieb").mkdir()
    with pytest.raises(DataError, match="not found"):
        run_recipe("default", data_root=tmp_path)
    monkeypatch.delenv("PIE_DATA", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="PIE_DATA"):
        run_recipe("default")
