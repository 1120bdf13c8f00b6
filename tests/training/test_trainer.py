"""A tiny in-memory encoder trains for a few steps: loss falls, the saved model records its prompt and
pooling, and loads with the same vectors in pie-embed and plain sentence-transformers."""

import json
from pathlib import Path

import numpy as np
import pytest

from pie_embed import InstructionEmbedder
from pie_embed.training import TrainConfig, bf16_supported, train_model

VERBS = ["Sort", "Translate", "Summarize", "Count"]
NOUNS = ["list", "sentence", "article", "words"]


def tiny_config(base: Path, **settings: object) -> TrainConfig:
    """A quick run on a tiny model: one epoch of batches of 16 in fp32, no similar-task merging (a random
    tiny model finds every pair of labels similar); ``settings`` change any of it."""
    defaults: dict[str, object] = {
        "epochs": 1,
        "batch_size": 16,
        "learning_rate": 1e-3,
        "max_length": 32,
        "validation_share": 0.0,
        "eval_steps": 50,
        "similar_task_threshold": None,
        "bf16": False,
    }
    return TrainConfig(base_model=str(base), **{**defaults, **settings})  # type: ignore[arg-type]


def labeled_data():
    texts, labels = [], []
    for verb in VERBS:
        for noun in NOUNS:
            for extra in ("quickly", "for me", "now", "please", "carefully"):
                texts.append(f"{verb} the {noun} {extra}.")
                labels.append(f"{verb.lower()}|{noun}")
    return texts, labels


@pytest.fixture(scope="module")
def trained(tiny_encoder_dir, tmp_path_factory):
    texts, labels = labeled_data()
    out = tmp_path_factory.mktemp("trained")
    config = tiny_config(tiny_encoder_dir, prompt="pie-short", epochs=4, validation_share=0.2, eval_steps=5)
    return train_model(texts, labels, out, config, show_progress=False), texts


def test_loss_falls(trained):
    result, _ = trained
    losses = [entry["loss"] for entry in result.history if "loss" in entry]
    assert len(losses) >= 2 and losses[-1] < losses[0]
    assert result.best_validation_ari is not None and result.steps > 0


def test_saved_model_records_settings_and_round_trips(trained):
    from sentence_transformers import SentenceTransformer

    result, texts = trained
    settings = json.loads((result.output / "pie_embed.json").read_text())
    assert settings["prompt"] == "pie-short" and settings["pooling"] == "mean"
    # trained at 32 tokens, but embeds with the base model's own limit (long inputs are not cut to 32)
    assert settings["training_config"]["max_length"] == 32 and settings["max_length"] > 32
    assert SentenceTransformer(str(result.output)).max_seq_length == settings["max_length"]
    assert settings["training_config"]["mask_same_task"] is True and settings["training_run"]["examples"] > 0
    embedder = InstructionEmbedder(str(result.output))  # prompt and pooling come from the model
    assert embedder.prompt.name == "pie-short" and embedder.pooling == "mean"
    ours = embedder.encode(texts[:6])
    again = InstructionEmbedder(str(result.output)).encode(texts[:6])
    np.testing.assert_array_equal(ours, again)
    plain = SentenceTransformer(str(result.output), device="cpu", local_files_only=True)
    formatted = [embedder.prompt.format(t) for t in texts[:6]]
    theirs = plain.encode(formatted, normalize_embeddings=True)
    np.testing.assert_allclose(ours, theirs, atol=2e-5)


def test_resume_continues_from_the_last_checkpoint(trained, tiny_encoder_dir):
    result, texts = trained
    steps = sorted(int(p.name.split("-")[1]) for p in (result.output / "checkpoints").glob("checkpoint-*"))
    assert steps and result.resumed_from is None
    texts, labels = labeled_data()
    config = TrainConfig(**json.loads((result.output / "pie_embed.json").read_text())["training_config"])
    again = train_model(texts, labels, result.output, config, resume=True, show_progress=False)
    assert again.resumed_from == steps[-1] and again.steps == result.steps


def test_unsupervised_mode_trains_without_labels(tiny_encoder_dir, tmp_path):
    texts, _ = labeled_data()
    config = tiny_config(tiny_encoder_dir, mode="unsupervised", eval_steps=5)
    result = train_model(texts, None, tmp_path / "simcse", config, show_progress=False)
    assert result.steps == 5 and result.best_validation_ari is None  # 80 distinct texts / batch 16
    assert InstructionEmbedder(str(result.output)).encode(texts[:2]).shape == (2, 32)


def test_bf16_detection_is_a_bool():
    assert isinstance(bf16_supported(), bool)


def test_anchor_texts_keep_their_embeddings_near_the_base(tiny_encoder_dir, tmp_path):
    texts, labels = labeled_data()
    anchors = [f"Here is a recipe for soup number {i}, with carrots and {i} onions." for i in range(48)]
    base = InstructionEmbedder(str(tiny_encoder_dir), pooling="mean").encode(anchors)

    def drift(weight: float) -> float:
        config = tiny_config(tiny_encoder_dir, epochs=3, anchor_weight=weight)
        result = train_model(
            texts, labels, tmp_path / f"w{weight}", config, show_progress=False, anchor_texts=anchors
        )
        settings = json.loads((result.output / "pie_embed.json").read_text())
        assert settings["training_run"]["anchor_texts"] == (len(anchors) if weight else 0)
        moved = InstructionEmbedder(str(result.output)).encode(anchors)
        return float(1 - (moved * base).sum(axis=1).mean())

    assert drift(50.0) < drift(0.0) / 2


def test_batches_by_source_keep_each_sources_examples_apart(tiny_encoder_dir, tmp_path):
    from pie_embed.training.trainer import _split_by_source

    columns = {"anchor": ["a", "b", "c"], "positive": ["a2", "b2", "c2"], "labels": [[0, 0], [1, 1], [2, 2]]}
    split = _split_by_source(columns, ["ieb:sort|list", "ieb:write|poem", "task7_qa"])
    assert sorted(split) == ["task", "task:ieb"]
    assert split["task:ieb"]["anchor"] == ["a", "b"] and split["task"]["anchor"] == ["c"]

    texts, labels = labeled_data()
    labels = [("ieb:" if i % 2 else "") + label for i, label in enumerate(labels)]
    config = tiny_config(
        tiny_encoder_dir,
        batch_size=8,
        positives_only_sources=("ieb",),
        batches_by_source=True,
        anchor_weight=1.0,
    )
    anchors = [f"Here is soup number {i}." for i in range(16)]
    result = train_model(texts, labels, tmp_path / "m", config, show_progress=False, anchor_texts=anchors)
    assert result.steps > 0
    saved = json.loads((result.output / "pie_embed.json").read_text())["training_config"]
    assert saved["batches_by_source"] is True and saved["positives_only_sources"] == ["ieb"]


def test_encoder_with_lora_saves_a_merged_loadable_model(tiny_encoder_dir, tmp_path, caplog):
    """LoRA on an encoder (a regulariser): the best checkpoint is restored, and the merged folder loads
    with no adapter."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.enable_propagation()
    texts, labels = labeled_data()
    config = tiny_config(tiny_encoder_dir, lora=True, validation_share=0.2, eval_steps=5)
    result = train_model(texts, labels, tmp_path / "lora", config, show_progress=False)
    transformers_logging.disable_propagation()
    assert "Could not load the best model" not in caplog.text
    assert (result.output / "config.json").is_file() and not (result.output / "adapter_config.json").exists()
    trained = InstructionEmbedder(str(result.output)).encode(texts[:3])
    base = InstructionEmbedder(str(tiny_encoder_dir), pooling="mean").encode(texts[:3])
    assert trained.shape == base.shape and not np.allclose(trained, base, atol=1e-4)  # the adapters trained


def test_anchor_texts_are_cut_by_tokens_keeping_their_characters(tiny_encoder):
    """anchor_max_length: each anchor ends after the last whole token that fits with the special tokens,
    its own characters kept (accents, spacing), so base target and trained model read the same text."""
    from pie_embed.training.trainer import _cut_to_tokens

    tokenizer = tiny_encoder.tokenizer
    long = "Résumé  of the article: " + "word " * 40
    short = "Sort the list."
    cut_long, kept = _cut_to_tokens([long, short], tokenizer, 12)
    assert kept == short and long.startswith(cut_long) and cut_long.startswith("Résumé  of")
    assert len(tokenizer(cut_long)["input_ids"]) <= 12 < len(tokenizer(long)["input_ids"])
