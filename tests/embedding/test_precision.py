"""Choosing the forward pass's precision: bf16 only where the hardware has it, overridable, fp32 fallback;
int8 only on request."""

from __future__ import annotations

import numpy as np
import pytest

from pie_embed import InstructionEmbedder
from pie_embed.embedding import precision as precision_module
from pie_embed.embedding.precision import resolve_precision
from pie_embed.errors import ConfigError


def test_auto_follows_the_hardware(monkeypatch) -> None:
    monkeypatch.delenv("PIE_PRECISION", raising=False)
    monkeypatch.setattr(precision_module, "bf16_supported", lambda device="cpu": False)
    # no AMX / AVX512-BF16: emulated bf16 would be slower; int8 would cost 0.025 of dev-panel mean
    assert resolve_precision("auto") == "fp32"
    monkeypatch.setattr(precision_module, "bf16_supported", lambda device="cpu": True)
    assert resolve_precision("auto") == resolve_precision(None) == "bf16"
    assert resolve_precision("fp32") == "fp32"  # an explicit choice wins


def test_environment_overrides_auto(monkeypatch) -> None:
    monkeypatch.setenv("PIE_PRECISION", "fp32")
    monkeypatch.setattr(precision_module, "bf16_supported", lambda device="cpu": True)
    assert resolve_precision("auto") == "fp32"
    assert resolve_precision("bf16") == "bf16"
    monkeypatch.setenv("PIE_PRECISION", "fp8")
    with pytest.raises(ConfigError, match="precision must be one of"):
        resolve_precision("auto")


def test_bf16_vectors_stay_close_and_have_their_own_cache_key(tiny_encoder) -> None:
    fp32 = InstructionEmbedder(tiny_encoder, precision="fp32")
    bf16 = InstructionEmbedder(tiny_encoder, precision="bf16")
    texts = ["Sort the list.", "Write a poem about the sea.", "Translate the sentence into French."]
    cosines = (fp32.encode(texts) * bf16.encode(texts)).sum(axis=1)
    assert np.all(cosines > 0.99)
    assert fp32.config_key != bf16.config_key and bf16.describe()["precision"] == "bf16"


def test_int8_quantises_the_linear_layers_and_stays_close_to_fp32(tiny_encoder_dir) -> None:
    import torch

    texts = ["Sort the list of numbers.", "Write a poem about the sea.", "Translate this into French."]
    fp32 = InstructionEmbedder(str(tiny_encoder_dir), precision="fp32")
    int8 = InstructionEmbedder(str(tiny_encoder_dir), precision="int8", torch_compile=True)
    assert int8.precision == "int8" and int8.torch_compile is False  # int8 runs uncompiled
    linears = [m for m in int8.loaded.model.modules() if isinstance(m, torch.nn.Linear)]
    assert linears == []  # every one replaced by its dynamically quantised version
    cosines = np.sum(fp32.encode(texts) * int8.encode(texts), axis=1)
    assert cosines.min() > 0.98
    assert int8.describe()["precision"] == "int8" and int8.config_key != fp32.config_key


def test_int8_of_a_shared_model_leaves_it_alone(tiny_encoder) -> None:
    import torch

    InstructionEmbedder(tiny_encoder, precision="int8")
    assert any(isinstance(m, torch.nn.Linear) for m in tiny_encoder.model.modules())
