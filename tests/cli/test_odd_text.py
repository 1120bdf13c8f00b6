"""Odd text through every command (embed, label, select, index, identify, map) and the service: each run
succeeds or stops with one line naming the file, the row and the field; never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from pie_embed.cli.main import app
from tests.data.test_odd_text import expected, odd_text

runner = CliRunner()
ROWS = [{"instruction": f"Write a poem about topic {i}", "label": "poem"} for i in range(6)] + [
    {"instruction": f"Add {i} and {i + 1}.", "label": "sum"} for i in range(6)
]
FEW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def dataset(folder: Path, text: str) -> Path:
    """12 plain rows, then the odd one on line 13 (JSON escapes keep lone surrogates writable)."""
    path = folder / "data.jsonl"
    rows = [*ROWS, {"instruction": text, "label": "odd"}]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


COMMANDS = {
    "embed": lambda data, out, model: ["embed", data, "-o", f"{out}/v.npy", "-m", model],
    "embed-shards": lambda data, out, model: ["embed", data, "-o", f"{out}/shards/", "-m", model],
    "label": lambda data, out, model: ["label", data, "-o", f"{out}/l.jsonl", "--no-cache"],
    "select": lambda data, out, model: ["select", data, "-n", "3", "-o", f"{out}/s.jsonl", "-m", model],
    "index": lambda data, out, model: ["index", "build", data, "-o", f"{out}/idx", "-m", model],
    "map": lambda data, out, model: ["map", data, "-o", f"{out}/m.html", "-m", model, "--projection", "pca"],
}


def assert_clean_outcome(result, text: str, where: str) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if expected(text) is None:
        lines = result.output.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1, result.output
        assert where in lines[0] and "'instruction'" in lines[0], lines[0]
    else:
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_commands_on_an_odd_row(command: str, tiny_encoder_dir: Path, tmp_path_factory) -> None:
    @FEW
    @given(text=odd_text)
    def run(text: str) -> None:
        folder = tmp_path_factory.mktemp(command)
        data = dataset(folder, text)
        result = runner.invoke(app, COMMANDS[command](str(data), str(folder), str(tiny_encoder_dir)))
        assert_clean_outcome(result, text, f"{data}: line 13")

    run()


def test_identify_on_odd_arguments(tiny_encoder_dir: Path, tmp_path: Path) -> None:
    bank = dataset(tmp_path, "Sort the list.")

    @FEW
    @given(text=odd_text)
    def run(text: str) -> None:
        args = ["identify", text, "-m", str(tiny_encoder_dir), "--bank", str(bank), "--top", "2"]
        result = runner.invoke(app, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Traceback" not in result.output
        refused = "text 0" in result.output or "instruction 1 is empty" in result.output
        assert result.exit_code in (0, 2) and (result.exit_code == 0 or refused), result.output
        assert result.exit_code == 0 or expected(text) is None  # only text a reader would refuse

    run()
