"""embed_to: one embedding job behind the single-file, shard-folder and Ray writers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pie_embed.data.embeddings import read_embeddings
from pie_embed.embedding.config import EmbedderConfig
from pie_embed.embedding.embedder import InstructionEmbedder
from pie_embed.embedding.job import embed_to
from pie_embed.errors import ConfigError


@pytest.fixture
def source(tmp_path: Path) -> Path:
    rows = [{"instruction": f"Sort list {i % 40}."} for i in range(120)]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_file_and_folder_outputs_hold_the_same_vectors(tiny_encoder_dir: Path, source: Path, tmp_path: Path):
    config = EmbedderConfig(model=str(tiny_encoder_dir), precision="fp32")
    single = embed_to(source, tmp_path / "out.npy", config)
    assert (single.kind, single.rows, single.parts) == ("file", 120, 1)
    assert (single.embedded, single.copied) == (40, 80)
    assert single.truncated == 0 and single.dimension == 32
    embedder = InstructionEmbedder.from_config(config)
    folder = embed_to(source, f"{tmp_path / 'shards'}/", embedder, shard_rows=50)
    assert (folder.kind, folder.rows, folder.parts) == ("shards", 120, 3)
    assert (folder.embedded, folder.copied) == (40, 80)  # every repeat copied, within a shard or across
    again = embed_to(source, tmp_path / "shards", config, folder=True, shard_rows=50, resume=True)
    assert again.resumed_parts == 3 and again.embedded == 0
    first, _ = read_embeddings(single.output)
    second, _ = read_embeddings(folder.output)
    np.testing.assert_allclose(first, second, atol=1e-6)


def test_bad_combinations_are_one_line_errors(tiny_encoder_dir: Path, source: Path, tmp_path: Path):
    config = EmbedderConfig(model=str(tiny_encoder_dir))
    with pytest.raises(ConfigError, match="--resume continues a folder"):
        embed_to(source, tmp_path / "out.npy", config, resume=True)
    built = InstructionEmbedder.from_config(config)
    with pytest.raises(ConfigError, match="an encoder given already built runs where it is"):
        embed_to(source, tmp_path / "out.npy", built, engine="ray")
    with pytest.raises(ConfigError, match="--engine must be one of"):
        embed_to(source, f"{tmp_path}/x/", config, engine="spark")


def test_a_resumed_folder_counts_earlier_truncated_texts(tiny_encoder_dir: Path, tmp_path: Path):
    path = tmp_path / "long.jsonl"
    words = " ".join(["word"] * 40)
    path.write_text("".join(json.dumps({"instruction": f"{i} {words}"}) + "\n" for i in range(6)))
    config = EmbedderConfig(model=str(tiny_encoder_dir), max_length=8)
    whole = embed_to(path, tmp_path / "whole.npy", config)
    folder = embed_to(path, f"{tmp_path / 'shards'}/", config, shard_rows=2)
    again = embed_to(path, f"{tmp_path / 'shards'}/", config, shard_rows=2, resume=True)
    assert whole.truncated == folder.truncated == again.truncated == 6
    assert again.resumed_parts == 3 and again.embedded == 0
    assert again.manifest is not None and again.manifest.extra["truncated"] == 6
