"""A model exported as a plain sentence-transformers folder embeds as pie-embed does."""

from __future__ import annotations

import numpy as np
import pytest

from pie_embed import InstructionEmbedder
from pie_embed.embedding.export import export_sentence_transformer
from pie_embed.errors import ConfigError

TEXTS = ["Sort the list of numbers.", "Translate the sentence into French.", "Write a haiku about rain."]


def test_sentence_transformers_loads_the_export_and_gives_the_same_vectors(
    tiny_encoder_dir, tmp_path
) -> None:
    from sentence_transformers import SentenceTransformer

    folder = export_sentence_transformer(str(tiny_encoder_dir), tmp_path / "st", readme="# card\n")
    ours = InstructionEmbedder(str(tiny_encoder_dir), precision="fp32").encode(TEXTS)
    theirs = SentenceTransformer(str(folder), device="cpu").encode(TEXTS)
    np.testing.assert_allclose(theirs, ours, atol=1e-5)
    assert (folder / "README.md").read_text() == "# card\n" and not (folder / "weights").exists()
    with pytest.raises(ConfigError, match="exists and is not empty"):
        export_sentence_transformer(str(tiny_encoder_dir), folder)


def test_a_model_with_a_prompt_does_not_export(tiny_encoder_dir, tmp_path, monkeypatch) -> None:
    import json

    folder = tmp_path / "prompted"
    folder.mkdir()
    for item in tiny_encoder_dir.iterdir():
        (folder / item.name).write_bytes(item.read_bytes())
    (folder / "pie_embed.json").write_text(json.dumps({"prompt": "pie", "pooling": "mean"}))
    with pytest.raises(ConfigError, match="only encoders that embed with no prompt"):
        export_sentence_transformer(str(folder), tmp_path / "out")
