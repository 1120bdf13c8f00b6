"""Long jobs keep a bounded set of tensor shapes and give freed heap memory back."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from pie_embed import InstructionEmbedder
from pie_embed.embedding import embedder as embedder_module
from pie_embed.embedding.memory import release_free_memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's")
def test_release_free_memory_calls_malloc_trim() -> None:
    assert release_free_memory() is True


def test_wide_batches_pad_to_a_bounded_set_of_widths(tiny_encoder) -> None:
    embedder = InstructionEmbedder(tiny_encoder, precision="fp32", max_length=128)
    widths = {embedder._padded_width(n) for n in range(1, 129)}
    assert {embedder._padded_width(n) for n in range(1, 65)} == set(range(1, 65))  # short: exact
    assert len(widths) == 64 + 8  # 65..128 -> 72, 80, ..., 128
    assert all(embedder._padded_width(n) >= n for n in range(1, 129))
    assert embedder._padded_width(125) == 128 and embedder._padded_width(128) == 128


def test_padding_does_not_change_the_vectors(tiny_encoder, monkeypatch) -> None:
    text = " ".join(["word"] * 70)  # wider than PAD_FREE_WIDTH, so its batch is padded
    padded = InstructionEmbedder(tiny_encoder, precision="fp32", max_length=128)
    assert padded._collate(padded._tokenize([text]))["input_ids"].shape[1] % 8 == 0
    monkeypatch.setattr(embedder_module, "PAD_FREE_WIDTH", 10_000)
    exact = InstructionEmbedder(tiny_encoder, precision="fp32", max_length=128)
    width = len(exact._tokenize([text])[0].input_ids)
    assert exact._collate(exact._tokenize([text]))["input_ids"].shape[1] == width
    np.testing.assert_allclose(padded.encode([text]), exact.encode([text]), atol=1e-5)


def test_memory_is_released_during_long_encodes(tiny_encoder, monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(embedder_module, "release_free_memory", lambda: calls.append(1) or True)
    embedder = InstructionEmbedder(tiny_encoder, precision="fp32", batch_size=2)
    embedder.encode([f"Task number {i}." for i in range(2 * 2 * embedder_module.RELEASE_EVERY_BATCHES)])
    assert len(calls) == 2
