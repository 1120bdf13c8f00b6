"""`pie embed --engine ray` on a local Ray instance: the same rows and vectors as the local engine."""

from __future__ import annotations

import builtins
import json
from pathlib import Path

import numpy as np
import pytest

from pie_embed import InstructionEmbedder
from pie_embed.data.writers import read_embeddings
from pie_embed.embedding.stream import embed_stream
from pie_embed.errors import DataError, MissingExtraError


@pytest.fixture(scope="module")
def local_ray():
    import ray  # the ray extra is part of install.sh --dev

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


def test_ray_output_equals_the_local_engine(local_ray, tiny_encoder_dir: Path, tmp_path: Path) -> None:
    from pie_embed.embedding.ray_engine import embed_with_ray

    rows = [{"instruction": f"Task {i}: name the capital.", "input": f"country {i % 7}"} for i in range(300)]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    settings = {"model": str(tiny_encoder_dir), "precision": "fp32"}
    embedder = InstructionEmbedder(**settings)
    done = embed_with_ray(
        embedder, settings, source, tmp_path / "ray", join="newline", workers=2, batch_rows=64
    )
    embed_stream(embedder, source, tmp_path / "local", join="newline", shard_rows=100)
    ray_vectors, ray_manifest = read_embeddings(tmp_path / "ray")
    local_vectors, local_manifest = read_embeddings(tmp_path / "local")
    assert done.rows == ray_manifest.count == 300 and done.workers == 2
    assert ray_manifest.texts_sha256 == local_manifest.texts_sha256  # same texts, same order
    np.testing.assert_allclose(ray_vectors, local_vectors, atol=1e-5)  # batching changes rounding only
    with pytest.raises(DataError, match="not empty"):
        embed_with_ray(embedder, settings, source, tmp_path / "ray")


def test_missing_ray_names_the_extra(tiny_encoder_dir: Path, tmp_path: Path, monkeypatch) -> None:
    from pie_embed.embedding.ray_engine import embed_with_ray

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray":
            raise ImportError("no ray")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    embedder = InstructionEmbedder(str(tiny_encoder_dir))
    with pytest.raises(MissingExtraError, match=r"pie-embed\[ray\]"):
        embed_with_ray(embedder, {"model": str(tiny_encoder_dir)}, tmp_path / "in.jsonl", tmp_path / "out")
