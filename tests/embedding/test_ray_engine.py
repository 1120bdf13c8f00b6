"""`--engine ray` on a local Ray instance: the same rows and vectors as the local engine."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from pie_embed import InstructionEmbedder
from pie_embed.data.embeddings import read_embeddings
from pie_embed.data.source import InstructionSource
from pie_embed.embedding.config import EmbedderConfig
from pie_embed.embedding.job import embed_to
from pie_embed.errors import DataError, MissingExtraError


@pytest.fixture(scope="module")
def local_ray():
    import ray  # the ray extra is part of install.sh --dev

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


def test_ray_output_equals_the_local_engine(local_ray, tiny_encoder_dir: Path, tmp_path: Path) -> None:
    rows = [{"instruction": f"Task {i}: name the capital.", "input": f"country {i % 7}"} for i in range(300)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    source = InstructionSource(tmp_path / "in.jsonl", join="newline")
    config = EmbedderConfig(model=str(tiny_encoder_dir), precision="fp32")
    done = embed_to(source, tmp_path / "ray", config, folder=True, engine="ray", workers=2, shard_rows=100)
    embed_to(source, tmp_path / "local", config, folder=True, shard_rows=100)
    ray_vectors, ray_manifest = read_embeddings(tmp_path / "ray")
    local_vectors, local_manifest = read_embeddings(tmp_path / "local")
    assert done.rows == ray_manifest.count == 300 and done.workers == 2 and done.parts == 3
    assert ray_manifest.extra["engine"] == "ray"
    assert ray_manifest.texts_sha256 == local_manifest.texts_sha256  # same texts, same order
    np.testing.assert_allclose(ray_vectors, local_vectors, atol=1e-5)  # batching changes rounding only
    with pytest.raises(DataError, match="pass --resume"):
        embed_to(source, tmp_path / "ray", config, folder=True, engine="ray")
    resumed = embed_to(
        source, tmp_path / "ray", config, folder=True, engine="ray", resume=True, shard_rows=100
    )
    assert resumed.resumed_parts == 3 and resumed.embedded == 0  # the ray engine resumes like the local one


def test_missing_ray_names_the_extra(tiny_encoder_dir: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed: importing it fails
    with pytest.raises(MissingExtraError, match=r"pie-embed\[ray\]"):
        embed_to(
            tmp_path / "in.jsonl",
            tmp_path / "out.npy",
            EmbedderConfig(model=str(tiny_encoder_dir)),
            engine="ray",
        )


def test_ray_encoder_equals_the_local_embedder(local_ray, tiny_encoder_dir: Path) -> None:
    from pie_embed.embedding.encoder import TextEncoder, make_encoder
    from pie_embed.embedding.ray_engine import RayEncoder

    config = EmbedderConfig(model=str(tiny_encoder_dir), precision="fp32")
    assert isinstance(make_encoder(config, "ray"), RayEncoder)
    encoder = RayEncoder(config, workers=2, block_rows=64)  # 4 blocks: both actors get some
    assert isinstance(encoder, TextEncoder)
    texts = [f"Write a haiku about topic {i}." for i in range(250)] + ["Sort the list."] * 3
    vectors, stats = encoder.encode_with_stats(texts)
    assert stats.count == 253 and len(stats.tokens) == 253
    np.testing.assert_allclose(vectors, InstructionEmbedder.from_config(config).encode(texts), atol=1e-5)
    assert encoder.describe()["engine"] == "ray" and encoder.encode([]).shape == (0, encoder.dimension)
    with pytest.raises(DataError, match="text 1 is an empty"):
        encoder.encode(["Sort the list.", "  "])


def test_select_and_correlate_with_engine_ray(local_ray, tiny_encoder_dir: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pie_embed.cli.main import app

    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(
        "".join(json.dumps({"instruction": f"Translate sentence {i} into French."}) + "\n" for i in range(60))
    )
    second.write_text(
        "".join(json.dumps({"instruction": f"Write a poem about the number {i}."}) + "\n" for i in range(40))
    )
    runner = CliRunner()
    common = ["-m", str(tiny_encoder_dir), "--no-labels", "--seed", "3"]
    local = runner.invoke(app, ["select", str(first), "-n", "5", "-o", str(tmp_path / "l.jsonl"), *common])
    ray_run = runner.invoke(
        app, ["select", str(first), "-n", "5", "-o", str(tmp_path / "r.jsonl"), *common, "--engine", "ray"]
    )
    assert local.exit_code == 0 and ray_run.exit_code == 0, local.output + ray_run.output
    assert (tmp_path / "l.jsonl").read_text() == (tmp_path / "r.jsonl").read_text()
    correlated = runner.invoke(
        app,
        [
            "correlate",
            str(first),
            str(second),
            "-o",
            str(tmp_path / "corr"),
            "-m",
            str(tiny_encoder_dir),
            "--engine",
            "ray",
        ],
    )
    assert correlated.exit_code == 0, correlated.output
    assert any(p.suffix == ".csv" for p in (tmp_path / "corr").iterdir())
