"""The embedding job into a folder of shards: vectors as one call, repeats embedded once, resumable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pie_embed import InstructionEmbedder
from pie_embed.data.checksums import texts_sha256
from pie_embed.data.embeddings import read_embeddings
from pie_embed.data.shards import ShardFolder
from pie_embed.embedding.job import embed_to
from pie_embed.errors import DataError

PIE = str(Path(sys.executable).with_name("pie"))


def write_input(path: Path, rows: int, distinct: int) -> list[str]:
    texts = [f"Instruction {i % distinct}: rewrite the sentence in the passive voice." for i in range(rows)]
    path.write_text("".join(json.dumps({"instruction": t, "id": i}) + "\n" for i, t in enumerate(texts)))
    return texts


def test_shards_hold_the_same_vectors_as_one_call(tiny_encoder_dir: Path, tmp_path: Path) -> None:
    texts = write_input(tmp_path / "in.jsonl", 230, 90)
    embedder = InstructionEmbedder(str(tiny_encoder_dir))
    result = embed_to(tmp_path / "in.jsonl", tmp_path / "out", embedder, folder=True, shard_rows=50)
    assert (result.rows, result.parts, result.resumed_parts) == (230, 5, 0)
    assert result.embedded == 90 and result.copied == 230 - 90 - 0  # every repeat after shard 0 is copied
    vectors, manifest = read_embeddings(tmp_path / "out")
    np.testing.assert_allclose(vectors, embedder.encode(texts), atol=1e-5)
    assert manifest.count == 230 and manifest.texts_sha256 == texts_sha256(texts)
    assert np.array_equal(vectors[0], vectors[90])  # a repeat is a copy of its first occurrence


def test_resume_recomputes_nothing_and_ends_identical(
    tiny_encoder_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    write_input(tmp_path / "in.jsonl", 230, 200)
    embedder = InstructionEmbedder(str(tiny_encoder_dir))
    embed_to(tmp_path / "in.jsonl", tmp_path / "whole", embedder, folder=True, shard_rows=50)

    calls = {"n": 0}
    real_encode = embedder.encode_with_stats

    def crash_on_third_shard(texts, **options):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # as if stopped mid-run
        return real_encode(texts, **options)

    monkeypatch.setattr(embedder, "encode_with_stats", crash_on_third_shard)
    with pytest.raises(KeyboardInterrupt):
        embed_to(tmp_path / "in.jsonl", tmp_path / "cut", embedder, folder=True, shard_rows=50)
    assert sorted(ShardFolder(tmp_path / "cut").done()) == [0, 1]
    with pytest.raises(DataError, match="not finished"):
        read_embeddings(tmp_path / "cut")
    with pytest.raises(DataError, match="pass --resume"):
        embed_to(tmp_path / "in.jsonl", tmp_path / "cut", embedder, folder=True, shard_rows=50)
    with pytest.raises(DataError, match=r"other settings \(shard_rows: 50 -> 60\)"):
        embed_to(tmp_path / "in.jsonl", tmp_path / "cut", embedder, folder=True, shard_rows=60, resume=True)

    monkeypatch.setattr(embedder, "encode", real_encode)
    resumed = embed_to(
        tmp_path / "in.jsonl", tmp_path / "cut", embedder, folder=True, shard_rows=50, resume=True
    )
    assert resumed.resumed_parts == 2 and resumed.parts == 5
    for name in sorted(os.listdir(tmp_path / "whole")):
        if name.endswith(".npy"):
            assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "cut" / name).read_bytes()
    assert (
        read_embeddings(tmp_path / "cut")[1].embeddings_sha256
        == read_embeddings(tmp_path / "whole")[1].embeddings_sha256
    )


def test_kill_9_mid_run_then_resume(tiny_encoder_dir: Path, tmp_path: Path) -> None:
    """A real `pie embed` process killed with SIGKILL, resumed, and compared with an uninterrupted run."""
    write_input(tmp_path / "in.jsonl", 8_000, 8_000)
    command = [PIE, "embed", str(tmp_path / "in.jsonl"), "-m", str(tiny_encoder_dir), "--shard-rows", "500"]
    env = {**os.environ, "PIE_PRECISION": "fp32"}
    process = subprocess.Popen(
        [*command, "-o", str(tmp_path / "cut") + "/"], env=env, stdin=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while not (tmp_path / "cut" / "shard-00002.json").exists():
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (tmp_path / "cut" / "manifest.json").exists()  # it really was cut short
    from typer.testing import CliRunner

    from pie_embed.cli.main import app

    # the rest in this process (each new `pie` process costs seconds of imports)
    runner, args = CliRunner(env={"PIE_PRECISION": "fp32"}), command[1:]
    assert runner.invoke(app, [*args, "-o", str(tmp_path / "cut") + "/"]).exit_code == 2  # needs --resume
    assert runner.invoke(app, [*args, "-o", str(tmp_path / "cut") + "/", "--resume"]).exit_code == 0
    assert runner.invoke(app, [*args, "-o", str(tmp_path / "whole") + "/"]).exit_code == 0
    cut, whole = read_embeddings(tmp_path / "cut"), read_embeddings(tmp_path / "whole")
    assert np.array_equal(cut[0], whole[0]) and cut[1].embeddings_sha256 == whole[1].embeddings_sha256
    leftovers = [p.name for p in (tmp_path / "cut").iterdir() if p.name.startswith(".")]
    assert all(name.endswith(".tmp") for name in leftovers)  # at most a half-written temporary file


def test_tools_take_a_shard_folder_as_embeddings(tiny_encoder_dir: Path, tmp_path: Path) -> None:
    from pie_embed.tools.vectors import embed_dataset

    texts = write_input(tmp_path / "in.jsonl", 120, 120)
    embedder = InstructionEmbedder(str(tiny_encoder_dir))
    embed_to(tmp_path / "in.jsonl", tmp_path / "out", embedder, folder=True, shard_rows=50)
    data = embed_dataset(tmp_path / "in.jsonl", embeddings=tmp_path / "out")
    np.testing.assert_allclose(data.vectors, embedder.encode(texts), atol=1e-5)


def test_cli_errors_are_one_line(tiny_encoder_dir: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pie_embed.cli.main import app

    runner = CliRunner()
    model = ["-m", str(tiny_encoder_dir)]
    missing = runner.invoke(
        app, ["embed", str(tmp_path / "none.jsonl"), "-o", str(tmp_path / "out") + "/", *model]
    )
    assert missing.exit_code == 2 and "none.jsonl: file not found" in missing.output
    write_input(tmp_path / "in.jsonl", 5, 5)
    single = runner.invoke(
        app, ["embed", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "o.npy"), "--resume"]
    )
    assert single.exit_code == 2 and "--resume continues a folder output" in single.output
    engine = runner.invoke(
        app, ["embed", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "o") + "/", "--engine", "x"]
    )
    assert engine.exit_code == 2 and "--engine must be one of local, ray" in engine.output
    assert "Traceback" not in missing.output + single.output + engine.output
