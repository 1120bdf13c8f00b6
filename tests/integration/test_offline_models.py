"""Every offline model alias embeds through InstructionEmbedder (installed by `install.sh --dev`). A GGUF
model is dequantized once (the slow path) and then loads from its safetensors copy with the same vectors."""

from pathlib import Path

import numpy as np
import pytest

from pie_embed import InstructionEmbedder
from pie_embed.embedding import offline
from pie_embed.embedding.offline import OFFLINE_MODELS, LocalModel
from pie_embed.paths import cache_dir

pytestmark = pytest.mark.integration

TEXTS = ["Outline the steps to make an apple pie", "Translate the sentence into French.", "Sort."]
SETTINGS = {
    "mpnet-base": ("none", "mean", 768),
    "smollm2-135m": ("pie", "last-2", 576),
}
# Gemma-3-270m goes through the same GGUF loader and dequantized cache as SmolLM2, at 45 s for its first
# dequantization: the suite leaves it to benchmarks/downstream.py (which loads it as an LLM through that
# cache) and test_offline.py (its parts assembled once); its settings are checked below without loading.


@pytest.mark.parametrize("alias", list(SETTINGS))
def test_alias_embeds_and_padding_does_not_leak(alias, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    spec = OFFLINE_MODELS[alias]
    assert spec.is_installed(), f"{alias} missing: run bash scripts/install.sh --dev ({spec.install_hint})"
    cache = cache_dir()
    if alias != "smollm2-135m":  # SmolLM2's dequantized copy is shared with the downstream tests (17 s)
        monkeypatch.setenv("PIE_EMBED_CACHE", str(tmp_path))  # nothing unpacked yet
        cache = tmp_path
    prompt, pooling, dimension = SETTINGS[alias]
    embedder = InstructionEmbedder(alias, prompt=prompt, batch_size=8)
    assert embedder.pooling == pooling and embedder.dimension == dimension
    vectors = embedder.encode(TEXTS)
    assert vectors.shape == (3, dimension) and np.isfinite(vectors).all()
    np.testing.assert_allclose(embedder.encode([TEXTS[2]])[0], vectors[2], atol=1e-4)
    assert not [p for p in cache.rglob("*") if ".tmp-" in p.name]  # no half-written cache entries
    if alias in ("smollm2-135m", "gemma3-270m"):

        def no_gguf(local: LocalModel) -> None:
            raise AssertionError("the dequantized copy should have been used")

        monkeypatch.setattr(offline, "_load_gguf", no_gguf)
        cached = InstructionEmbedder(alias, prompt=prompt, batch_size=8)
        assert cached.loaded.model.dtype.is_floating_point and "LM" not in type(cached.loaded.model).__name__
        np.testing.assert_array_equal(cached.encode(TEXTS), vectors)


def test_gemma_alias_is_an_installed_decoder() -> None:
    """Gemma-3-270m without the 45 s dequantization (see SETTINGS): installed, a decoder (so the PIE prompt
    and last-2 pooling apply, as for SmolLM2), its description naming its width."""
    spec = OFFLINE_MODELS["gemma3-270m"]
    assert spec.is_installed(), f"gemma3-270m missing: bash scripts/install.sh --dev ({spec.install_hint})"
    assert spec.family == OFFLINE_MODELS["smollm2-135m"].family == "decoder" and "640-d" in spec.description
