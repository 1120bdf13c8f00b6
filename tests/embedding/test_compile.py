"""torch.compile: forced, automatic for large jobs only, and never fatal."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from pie_embed import InstructionEmbedder
from pie_embed.embedding import compile as compile_module
from pie_embed.embedding import embedder as embedder_module
from pie_embed.embedding.job import embed_to

TEXTS = ["Sort the list.", "Write a poem about the sea.", "Translate the sentence into French. " * 12]


@pytest.mark.skipif(not compile_module.compiler_available(), reason="inductor needs a C++ compiler")
def test_compiled_model_gives_the_same_vectors(tiny_encoder) -> None:
    eager = InstructionEmbedder(tiny_encoder, precision="fp32", torch_compile=False)
    compiled = InstructionEmbedder(tiny_encoder, precision="fp32", torch_compile=True)
    np.testing.assert_allclose(compiled.encode(TEXTS), eager.encode(TEXTS), atol=1e-4)
    assert compiled._compiled is not None and eager._compiled is None


def spy_compile(monkeypatch) -> list[object]:
    calls: list[object] = []

    def fake(model):
        calls.append(model)
        return model  # "compiled": the same module, so nothing slow runs

    monkeypatch.setattr(embedder_module, "compile_model", fake)
    return calls


def test_auto_compiles_only_large_calls(tiny_encoder, monkeypatch) -> None:
    calls = spy_compile(monkeypatch)
    embedder = InstructionEmbedder(tiny_encoder, precision="fp32")  # torch_compile=None: auto
    embedder.encode(TEXTS)
    assert calls == []
    monkeypatch.setattr(embedder_module, "COMPILE_MIN_TEXTS", 3)
    embedder.encode(TEXTS)
    embedder.encode(TEXTS)
    assert len(calls) == 1  # once per embedder
    never = InstructionEmbedder(tiny_encoder, precision="fp32", torch_compile=False)
    never.encode(TEXTS)
    assert len(calls) == 1


def test_streamed_inputs_decide_by_their_size(tiny_encoder, monkeypatch, tmp_path: Path) -> None:
    calls = spy_compile(monkeypatch)
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"instruction": t}) + "\n" for t in TEXTS))
    embed_to(source, tmp_path / "small", InstructionEmbedder(tiny_encoder, precision="fp32"), folder=True)
    assert calls == []
    monkeypatch.setattr(compile_module, "COMPILE_MIN_INPUT_BYTES", 10)
    embed_to(source, tmp_path / "large", InstructionEmbedder(tiny_encoder, precision="fp32"), folder=True)
    assert len(calls) == 1


def test_no_compiler_means_eager_with_a_warning(tiny_encoder, monkeypatch, caplog) -> None:
    monkeypatch.setattr(compile_module.shutil, "which", lambda name: None)
    embedder = InstructionEmbedder(tiny_encoder, precision="fp32", torch_compile=True)
    with caplog.at_level(logging.WARNING):
        vectors = embedder.encode(TEXTS)
    assert vectors.shape == (3, embedder.dimension) and embedder.torch_compile is False
    assert "no C++ compiler" in caplog.text


def test_a_failing_compiled_model_falls_back(tiny_encoder, monkeypatch, caplog) -> None:
    def broken(**inputs):
        raise RuntimeError("inductor exploded")

    monkeypatch.setattr(embedder_module, "compile_model", lambda model: broken)
    embedder = InstructionEmbedder(tiny_encoder, precision="fp32", torch_compile=True)
    reference = InstructionEmbedder(tiny_encoder, precision="fp32", torch_compile=False).encode(TEXTS)
    with caplog.at_level(logging.WARNING):
        np.testing.assert_allclose(embedder.encode(TEXTS), reference, atol=1e-6)
    assert "inductor exploded" in caplog.text and embedder.torch_compile is False


def test_non_finite_compiled_output_falls_back_to_eager(tiny_encoder, monkeypatch, caplog) -> None:
    def broken(model):
        def run(**inputs):
            output = model(**inputs)
            output.last_hidden_state = output.last_hidden_state * float("nan")
            return output

        return run

    monkeypatch.setattr(embedder_module, "compile_model", broken)
    eager = InstructionEmbedder(tiny_encoder, precision="fp32", torch_compile=False).encode(TEXTS)
    embedder = InstructionEmbedder(tiny_encoder, precision="fp32", torch_compile=True)
    with caplog.at_level(logging.WARNING):
        vectors = embedder.encode(TEXTS)
    np.testing.assert_allclose(vectors, eager, atol=1e-5)
    assert embedder.torch_compile is False and "non-finite" in caplog.text
