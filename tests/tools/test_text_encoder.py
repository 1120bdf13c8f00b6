"""Every tool takes any ``TextEncoder``: a keyword encoder that subclasses the protocol, and a bare object
with sentence-transformers' ``encode`` through ``EncoderAdapter``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pie_embed.embedding.adapter import EncoderAdapter
from pie_embed.embedding.encoder import TextEncoder
from pie_embed.embedding.stats import EncodeStats
from pie_embed.errors import ConfigError
from pie_embed.tools.correlate import correlate_files
from pie_embed.tools.identify import TaskBank, TaskIdentifier
from pie_embed.tools.retrieve import DemonstrationIndex
from pie_embed.tools.select import select_file
from pie_embed.tools.task_map import map_file

KEYS = ["translate", "poem", "add", "sort"]


def keyword_vectors(texts) -> np.ndarray:
    rows = np.array([[float(k in t.lower()) for k in KEYS] + [0.1] for t in texts], np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


class KeywordEncoder(TextEncoder):
    """Vectors by keyword: the protocol's members, and ``encode`` inherited from it."""

    model_name = "keywords"
    dimension = len(KEYS) + 1
    config_key = "keywords-1"

    def describe(self) -> dict[str, object]:
        return {
            "model": "keywords",
            "model_fingerprint": "keywords-1",
            "prompt": "none",
            "prompt_template": "{instruction}",
            "pooling": "none",
            "normalize": True,
            "max_length": None,
            "instruction_tokens_only": False,
            "precision": "fp32",
        }

    def encode_with_stats(self, texts, batch_size=None, show_progress_bar=None, normalize_embeddings=None):
        return keyword_vectors(texts), EncodeStats(len(texts), len(set(texts)))


class BareEncoder:
    """Only sentence-transformers' ``encode``: not an encoder until adapted."""

    def encode(self, sentences, batch_size=None, show_progress_bar=None, normalize_embeddings=None):
        return keyword_vectors(sentences)


def _pool(path: Path) -> Path:
    rows = [{"instruction": f"{verb} item {i}", "label": verb} for i in range(6) for verb in KEYS]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


@pytest.mark.parametrize("encoder", [KeywordEncoder(), EncoderAdapter(BareEncoder(), name="bare")])
def test_the_protocol_is_enough_for_every_tool(encoder: TextEncoder, tmp_path: Path) -> None:
    assert isinstance(encoder, TextEncoder) and not isinstance(BareEncoder(), TextEncoder)
    assert encoder.encode("translate this").shape == (encoder.dimension,)
    pool = _pool(tmp_path / "pool.jsonl")

    index = DemonstrationIndex.build(pool, embedder=encoder)
    (found,) = index.retrieve(["Please sort these"], k=2)
    assert [demo.text.split()[0] for demo in found] == ["sort", "sort"]

    bank = TaskBank.from_files(encoder, [pool], cache=True)  # cached by the encoder's config_key
    identifier = TaskIdentifier(encoder, bank, use_labeler=False)
    assert identifier.identify(["add two numbers"])[0].nearest[0].task == "add"

    selected = select_file(pool, 4, output=tmp_path / "picked.jsonl", embedder=encoder)
    assert len(selected.selection.indices) == 4

    mapped = map_file(pool, tmp_path / "map.html", embedder=encoder, color_by="label", projection="pca")
    assert mapped.html.is_file() and mapped.png.is_file()

    other = _pool(tmp_path / "other.jsonl")
    result = correlate_files([pool, other], tmp_path / "correlation", embedder=encoder)
    assert result.files and all(path.is_file() for path in result.files)


def test_an_adapted_model_needs_a_name():
    with pytest.raises(TypeError):
        EncoderAdapter(BareEncoder())  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="EncoderAdapter needs name="):
        EncoderAdapter(BareEncoder(), name="")
