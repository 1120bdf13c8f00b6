"""EmbedderConfig: one frozen value of the embedder's settings, the CLI's and the server's defaults."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pie_embed.embedding.config import DEFAULTS, EmbedderConfig
from pie_embed.embedding.embedder import InstructionEmbedder
from pie_embed.errors import ConfigError
from pie_embed.serving.config import ServerConfig


def test_config_is_frozen_and_checked() -> None:
    config = EmbedderConfig(model="x", batch_size=8)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.batch_size = 4  # type: ignore[misc]
    assert config.replace(batch_size=4).batch_size == 4 and config.batch_size == 8
    with pytest.raises(ConfigError, match="batch_size"):
        config.replace(batch_size=0)
    with pytest.raises(ConfigError, match="max_length"):
        EmbedderConfig(max_length=0)


def test_embedder_keeps_the_config_it_was_built_from(tiny_encoder_dir: Path) -> None:
    config = EmbedderConfig(model=str(tiny_encoder_dir), pooling="mean", batch_size=3, precision="fp32")
    embedder = InstructionEmbedder.from_config(config)
    assert embedder.config == config
    assert embedder.pooling == "mean" and embedder.batch_size == 3
    same = InstructionEmbedder(str(tiny_encoder_dir), pooling="mean", batch_size=3, precision="fp32")
    assert same.config == config and same.config_key == embedder.config_key


def test_cli_and_server_defaults_come_from_the_config() -> None:
    import typer

    from pie_embed.cli.main import app

    assert ServerConfig().batch_size == DEFAULTS.batch_size
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    for name in ("embed", "serve", "bench"):
        defaults = {param.name: param.default for param in commands[name].params}
        assert defaults["batch_size"] == DEFAULTS.batch_size, name
        assert defaults["model"] in (DEFAULTS.model, None), name
    assert {p.name: p.default for p in commands["embed"].params}["precision"] == DEFAULTS.precision
