"""`pie serve` start-up errors: one line, exit status 2, before anything listens."""

from __future__ import annotations

import socket
from pathlib import Path

from typer.testing import CliRunner

from pie_embed.cli.main import app

runner = CliRunner()


def test_unknown_model_is_one_line() -> None:
    result = runner.invoke(app, ["serve", "--model", "no-such-model-anywhere", "--no-identify"])
    assert result.exit_code == 2
    assert "error:" in result.output and "Traceback" not in result.output


def test_missing_index_folder(tiny_encoder_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["serve", "--model", str(tiny_encoder_dir), "--index", str(tmp_path / "none")]
    )
    assert result.exit_code == 2 and "no such index folder" in result.output


def test_busy_port_is_a_clear_error(tiny_encoder_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(
            app, ["serve", "--model", str(tiny_encoder_dir), "--no-identify", "--port", str(port)]
        )
    assert result.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in result.output
