import json

from typer.testing import CliRunner

from pie_embed.cli.main import app

runner = CliRunner()


def test_train_command_saves_a_loadable_model(tiny_encoder_dir, tmp_path):
    data = tmp_path / "labeled.jsonl"
    rows = [
        {"instruction": f"{verb} the {noun} {extra}.", "label": f"{verb.lower()}|{noun}"}
        for verb in ("Sort", "Translate", "Count")
        for noun in ("list", "sentence", "words")
        for extra in ("now", "please", "for me", "quickly")
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "model"
    args = ["train", "--train", str(data), "-m", str(tiny_encoder_dir), "-o", str(out), "--epochs", "1"]
    args += ["--batch-size", "8", "--max-length", "32", "--eval-steps", "2", "--no-bf16", "--lr", "1e-3"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "trained on" in result.output and "validation ARI" in result.output
    settings = json.loads((out / "pie_embed.json").read_text())
    assert settings["pooling"] == "mean" and settings["training_config"]["base_model"] == str(
        tiny_encoder_dir
    )
    result = runner.invoke(app, ["embed", str(data), "-o", str(tmp_path / "v.npy"), "-m", str(out)])
    assert result.exit_code == 0, result.output


def test_train_errors_are_one_line(tmp_path):
    result = runner.invoke(app, ["train"])
    assert result.exit_code == 2 and "--recipe" in result.output
    result = runner.invoke(app, ["train", "--recipe", "nope"])
    assert result.exit_code == 2 and "unknown recipe" in result.output
    unlabeled = tmp_path / "u.jsonl"
    unlabeled.write_text('{"instruction": "Sort the list."}\n')
    result = runner.invoke(app, ["train", "--train", str(unlabeled), "-o", str(tmp_path / "m")])
    assert result.exit_code == 2 and "u.jsonl" in result.output and "label" in result.output


def test_train_with_anchor_file_and_similar_threshold(tiny_encoder_dir, tmp_path):
    data = tmp_path / "labeled.jsonl"
    rows = [
        {"instruction": f"{verb} the {noun} {extra}.", "label": f"{verb.lower()}|{noun}"}
        for verb in ("Sort", "Count")
        for noun in ("list", "words")
        for extra in ("now", "please", "for me", "quickly")
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    anchors = tmp_path / "other.jsonl"
    anchors.write_text(
        "\n".join(json.dumps({"instruction": f"Story {i}", "input": f"about {i} cats"}) for i in range(8))
    )
    out = tmp_path / "model"
    args = ["train", "--train", str(data), "-m", str(tiny_encoder_dir), "-o", str(out), "--epochs", "1"]
    args += ["--batch-size", "8", "--max-length", "32", "--no-bf16", "--anchor", str(anchors)]
    args += ["--anchor-weight", "5", "--similar-threshold", "0.99"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    settings = json.loads((out / "pie_embed.json").read_text())
    assert settings["training_config"]["anchor_weight"] == 5.0
    assert settings["training_config"]["similar_task_threshold"] == 0.99
    assert settings["training_run"]["anchor_texts"] == 8


def test_recipe_refuses_in_one_line_the_options_it_would_ignore():
    result = runner.invoke(app, ["train", "--recipe", "general", "--epochs", "2", "--max-length", "32"])
    assert result.exit_code == 2
    line = result.output.strip()
    assert "\n" not in line and "--recipe general brings its own data and settings" in line
    assert "--epochs" in line and "--max-length" in line and "--seed" in line  # what it does take


def test_models_lists_the_shipped_default_and_prints_cards():
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert "(inside the package, no download): pie-general [default] over all-minilm-l6-v2, 4.8 MB" in said
    assert "panel mean 0.477 (base 0.427), ICT 0.555, IIS 0.790" in said
    assert "pie-static static table, 4.1 MB" in said and "default -> pie-general" in said
    for name in ("pie-general", "pie-ieb", "pie-static"):
        card = runner.invoke(app, ["models", "--card", name])
        assert card.exit_code == 0, card.output
        assert card.output.startswith("---\nlibrary_name: pie-embed") and f"\n# {name}\n" in card.output
        assert "## Evaluation: the dev panel" in card.output and "## Known weaknesses" in card.output
    unknown = runner.invoke(app, ["models", "--card", "all-minilm-l6-v2"])
    assert unknown.exit_code != 0 and "not a shipped model" in unknown.output
