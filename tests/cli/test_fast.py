"""--fast: the static tier is picked only when asked for, only on large inputs, and the choice is printed."""

import json

import pytest
from typer.testing import CliRunner

from pie_embed.cli.main import app
from pie_embed.embedding import static
from pie_embed.embedding.config import DEFAULTS
from pie_embed.embedding.static import FAST_FROM, fast_model

runner = CliRunner()


def test_fast_model_rule():
    assert fast_model(DEFAULTS.model, DEFAULTS.model, FAST_FROM)[0] == "pie-static"
    model, line = fast_model(DEFAULTS.model, DEFAULTS.model, FAST_FROM - 1)
    assert model == DEFAULTS.model and "keeping" in line
    assert fast_model("my/model", DEFAULTS.model, 10**7) == (
        "my/model",
        "--fast: keeping the model you named, my/model",
    )


@pytest.mark.parametrize(
    "command", [["select", "-n", "2", "--no-labels"], ["map", "-o", "m.html"], ["embed", "-o", "v.npy"]]
)
def test_fast_on_a_large_input_switches_to_the_static_tier_and_says_so(tmp_path, monkeypatch, command):
    monkeypatch.setattr(static, "FAST_FROM", 3)
    monkeypatch.setenv("PIE_EMBED_CACHE", str(tmp_path / "cache"))  # an empty cache: pie-static ships
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"instruction": f"Write poem {i}."}) + "\n" for i in range(4)))
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, [command[0], str(data), *command[1:], "--fast"])
    assert "--fast: 4 rows (at least 3): using the static tier pie-static" in result.output
    assert result.exit_code == 0, result.output  # the shipped table: no build step
    written = {"select": "d.selected.jsonl", "map": "m.html", "embed": "v.npy"}[command[0]]
    assert (tmp_path / written).is_file()


def test_without_fast_nothing_is_counted_or_switched(tiny_encoder_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(static, "FAST_FROM", 1)
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"instruction": f"Write poem {i}."}) + "\n" for i in range(4)))
    result = runner.invoke(app, ["select", str(data), "-n", "2", "--no-labels", "-m", str(tiny_encoder_dir)])
    assert result.exit_code == 0, result.output
    assert "--fast" not in result.output


def test_fast_counts_rows_by_the_named_field(tmp_path, monkeypatch):
    monkeypatch.setattr(static, "FAST_FROM", 3)
    monkeypatch.setenv("PIE_EMBED_CACHE", str(tmp_path / "cache"))
    data = tmp_path / "d.csv"
    data.write_text("text,id\n" + "".join(f"Write poem {i}.,{i}\n" for i in range(4)))
    result = runner.invoke(app, ["select", str(data), "-n", "2", "--no-labels", "--field", "text", "--fast"])
    assert "--fast: 4 rows (at least 3)" in result.output, result.output
