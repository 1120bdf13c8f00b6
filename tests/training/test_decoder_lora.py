"""A tiny in-memory decoder trains with LoRA and `last-2` pooling; the merged model loads in pie-embed
with the same vectors the training-time model produced."""

import json

import numpy as np

from pie_embed import InstructionEmbedder
from pie_embed.training import train_model
from pie_embed.training.trainer import load_sentence_transformer

from .test_trainer import labeled_data, tiny_config


def test_decoder_trains_with_lora_and_round_trips(tiny_decoder_dir, tmp_path):
    texts, labels = labeled_data()
    config = tiny_config(
        tiny_decoder_dir,
        prompt="pie",
        pooling="last-2",
        epochs=4,
        learning_rate=5e-3,
        max_length=96,
        validation_share=0.2,
        eval_steps=5,
    )
    result = train_model(texts, labels, tmp_path / "decoder", config, show_progress=False)
    losses = [entry["loss"] for entry in result.history if "loss" in entry]
    assert result.steps > 0 and losses and losses[-1] < losses[0]

    settings = json.loads((result.output / "pie_embed.json").read_text())
    assert settings["pooling"] == "last-2" and settings["prompt"] == "pie"
    assert settings["training_config"]["lora"] is None  # auto: LoRA because the base is a decoder
    assert not (result.output / "adapter_config.json").exists()  # adapters are merged into the weights

    embedder = InstructionEmbedder(str(result.output))
    assert embedder.pooling == "last-2" and embedder.prompt.name == "pie"
    ours = embedder.encode(texts[:4])

    # the same weights through sentence-transformers with PiePooling: identical vectors
    base = load_sentence_transformer(str(result.output), "last-2", 96)
    model = base.model
    assert base.family == "decoder"
    from pie_embed.embedding.prompts import get_prompt
    from pie_embed.training.trainer import _fit_to_prompt

    formatted = _fit_to_prompt(texts[:4], get_prompt("pie"), model.tokenizer, 96)
    theirs = model.encode(formatted, normalize_embeddings=True)
    np.testing.assert_allclose(ours, theirs, atol=2e-5)


def test_base_weights_unchanged_outside_adapters(tiny_decoder_dir, tmp_path):
    """LoRA with zero learning rate leaves the merged model equal to its base."""
    texts, labels = labeled_data()
    config = tiny_config(tiny_decoder_dir, prompt="pie", pooling="last-2", learning_rate=0.0, max_length=96)
    result = train_model(texts, labels, tmp_path / "zero", config, show_progress=False)
    base = InstructionEmbedder(str(tiny_decoder_dir), prompt="pie", pooling="last-2").encode(texts[:3])
    trained = InstructionEmbedder(str(result.output)).encode(texts[:3])
    np.testing.assert_allclose(base, trained, atol=1e-5)
