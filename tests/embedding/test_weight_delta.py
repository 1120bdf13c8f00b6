"""A fine-tune as a small weight change: compressed, saved, loaded and added back onto the base."""

from __future__ import annotations

import copy

import pytest
import torch

from pie_embed.embedding.weight_delta import apply_delta, compress_delta, load_delta, save_delta


def test_a_low_rank_change_round_trips_exactly(tiny_encoder, tmp_path) -> None:
    base = tiny_encoder.model
    tuned = copy.deepcopy(base)
    torch.manual_seed(1)
    with torch.no_grad():
        weight = tuned.encoder.layer[0].intermediate.dense.weight  # 64 x 32
        weight.add_(torch.randn(64, 2) @ torch.randn(2, 32) * 0.01)  # a rank-2 change
        tuned.encoder.layer[1].output.LayerNorm.bias.add_(0.05)  # a small tensor
    delta = compress_delta(base.state_dict(), tuned.state_dict(), rank=4)
    assert sorted(delta) == [
        "encoder.layer.0.intermediate.dense.weight.delta_down",
        "encoder.layer.0.intermediate.dense.weight.delta_up",
        "encoder.layer.1.output.LayerNorm.bias.delta",
    ]
    assert delta["encoder.layer.0.intermediate.dense.weight.delta_up"].shape == (64, 4)
    save_delta(delta, tmp_path / "delta.safetensors", {"base": "tiny"})
    loaded, metadata = load_delta(tmp_path / "delta.safetensors")
    assert metadata == {"base": "tiny"}
    rebuilt = copy.deepcopy(base)
    apply_delta(rebuilt, loaded)
    for name, value in tuned.state_dict().items():
        torch.testing.assert_close(rebuilt.state_dict()[name], value, atol=1e-4, rtol=0)  # fp16 factors


def test_skipped_and_unknown_names(tiny_encoder) -> None:
    base = tiny_encoder.model
    tuned = copy.deepcopy(base)
    with torch.no_grad():
        tuned.embeddings.word_embeddings.weight.add_(0.01)
    assert compress_delta(base.state_dict(), tuned.state_dict(), skip=("embeddings.",)) == {}
    with pytest.raises(ValueError, match="does not have"):
        apply_delta(copy.deepcopy(base), {"nope.delta": torch.zeros(1)})
    with pytest.raises(ValueError, match="differ in their weights"):
        compress_delta({"a": torch.zeros(1)}, {"b": torch.zeros(1)})
    assert compress_delta({"a": torch.zeros(1), "buffer": torch.zeros(1)}, {"a": torch.ones(1)}) == {
        "a.delta": torch.ones(1).half()
    }
