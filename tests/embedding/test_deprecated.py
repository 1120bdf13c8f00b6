"""The names the one embedding job replaced keep working for one release, with a DeprecationWarning."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pie_embed.embedding.embedder import InstructionEmbedder
from pie_embed.embedding.files import embed_file
from pie_embed.embedding.stream import embed_stream


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"instruction": f"Sort list {i % 5}."}) + "\n" for i in range(12)))
    return path


def test_embed_file_keeps_its_options_and_result_names(tiny_encoder_dir: Path, source: Path, tmp_path: Path):
    embedder = InstructionEmbedder(str(tiny_encoder_dir))
    with pytest.warns(DeprecationWarning, match="embed_file\\(\\) is deprecated"):
        done = embed_file(embedder, source, tmp_path / "v.parquet", store_texts=False)
    assert "text" not in pq.read_schema(done.output).names
    assert (done.stats.count, done.stats.unique, done.stats.truncated) == (12, 5, 0)
    with pytest.warns(DeprecationWarning):
        kept = embed_file(embedder, source, tmp_path / "t.parquet")
    assert "text" in pq.read_schema(kept.output).names


def test_embed_stream_result_keeps_its_names(tiny_encoder_dir: Path, source: Path, tmp_path: Path):
    embedder = InstructionEmbedder(str(tiny_encoder_dir))
    with pytest.warns(DeprecationWarning, match="embed_stream\\(\\) is deprecated"):
        done = embed_stream(embedder, source, tmp_path / "shards", shard_rows=5)
    assert done.folder == tmp_path / "shards"
    assert (done.shards, done.resumed_shards) == (3, 0)
    with pytest.warns(DeprecationWarning):
        again = embed_stream(embedder, source, tmp_path / "shards", shard_rows=5, resume=True)
    assert again.resumed_shards == 3
