"""Every offline model alias embeds through InstructionEmbedder (installed by `install.sh --dev`)."""

import numpy as np
import pytest

from pie_embed import InstructionEmbedder
from pie_embed.embedding.offline import OFFLINE_MODELS

pytestmark = pytest.mark.integration

TEXTS = ["Outline the steps to make an apple pie", "Translate the sentence into French.", "Sort."]
SETTINGS = {
    "mpnet-base": ("none", "mean", 768),
    "smollm2-135m": ("pie", "last-2", 576),
    "gemma3-270m": ("pie", "last-2", 640),
}


@pytest.mark.parametrize("alias", list(SETTINGS))
def test_alias_embeds_and_padding_does_not_leak(alias):
    spec = OFFLINE_MODELS[alias]
    assert spec.is_installed(), f"{alias} missing: run bash scripts/install.sh --dev ({spec.install_hint})"
    prompt, pooling, dimension = SETTINGS[alias]
    embedder = InstructionEmbedder(alias, prompt=prompt, batch_size=8)
    assert embedder.pooling == pooling and embedder.dimension == dimension
    vectors = embedder.encode(TEXTS)
    assert vectors.shape == (3, dimension) and np.isfinite(vectors).all()
    np.testing.assert_allclose(embedder.encode([TEXTS[2]])[0], vectors[2], atol=1e-4)
