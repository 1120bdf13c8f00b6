"""Recipes: one command that rebuilds a shipped model from the IEB training text (`pie train --recipe`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from pie_embed.benchmark.files import ieb_test_files
from pie_embed.errors import ConfigError, DataError
from pie_embed.paths import data_dir
from pie_embed.training.anchors import corpus_anchor_texts
from pie_embed.training.trainer import TrainConfig, TrainResult, train_model

__all__ = ["RECIPES", "Recipe", "run_recipe"]


@dataclass(frozen=True)
class Recipe:
    """Label ``source`` with ``pie label`` (labels under ``min_count`` left out, test files excluded), then
    train with ``config``; the model goes to the alias's folder (see ``embedding.models.TRAINED_ALIASES``).
    When ``config.anchor_weight`` > 0, ``anchor_count`` texts of the corpora's training splits anchor the
    model to its base (see :mod:`pie_embed.training.anchors`)."""

    alias: str
    source: str
    min_count: int
    config: TrainConfig
    anchor_count: int = 6000


RECIPES: dict[str, Recipe] = {
    "default": Recipe(
        alias="pie-minilm",
        source="eft_train_unsup.json",
        min_count=5,
        config=TrainConfig(
            base_model="default",
            prompt="none",
            pooling="mean",
            max_length=64,
            # 0.4 epoch (138 steps): T0 0.430 / SNI 0.556, above the base's 0.418 / 0.423. A full epoch
            # (343 steps) reaches ICT 0.826 instead of 0.777 but forgets T0 (0.410); see BENCHMARKS.md.
            epochs=0.4,
            eval_steps=50,
            anchor_weight=10.0,
        ),
    ),
}


def run_recipe(
    name: str,
    *,
    data_root: str | Path | None = None,
    output: str | Path | None = None,
    resume: bool = False,
    show_progress: bool = True,
    **overrides: object,
) -> TrainResult:
    """Rebuild the recipe's model; ``overrides`` change single TrainConfig fields (for ablations).
    ``data_root`` holds ``ieb/`` and ``corpora/`` (default: found as :mod:`pie_embed.paths` says)."""
    from pie_embed.data.readers import read_instructions
    from pie_embed.embedding.models import trained_model_dir
    from pie_embed.labeling import TaskLabeler, build_ieb_dataset

    if name not in RECIPES:
        raise ConfigError(f"unknown recipe {name!r}; known: {', '.join(RECIPES)}")
    recipe = RECIPES[name]

    def folder(name: str) -> Path:
        return data_dir(name, Path(data_root) / name if data_root is not None else None)

    ieb_dir = folder("ieb")
    source = ieb_dir / recipe.source
    if not source.is_file():
        raise DataError(f"{source}: training text for recipe {name!r} not found")
    records = read_instructions(source).records
    labels = TaskLabeler(cache=True).label_many([r.text for r in records], show_progress=show_progress)
    tests = ieb_test_files(ieb_dir, excluding=source)
    dataset = build_ieb_dataset(records, labels, min_count=recipe.min_count, test_files=tests)
    texts = [r.text for r, label in zip(records, dataset.assignments, strict=True) if label is not None]
    task_labels = [label for label in dataset.assignments if label is not None]
    config = replace(recipe.config, **overrides)  # type: ignore[arg-type]
    out = Path(output) if output is not None else trained_model_dir(recipe.alias)
    anchors = None
    if config.anchor_weight > 0:
        anchors = corpus_anchor_texts(
            folder("corpora"),
            limit=recipe.anchor_count,
            seed=config.seed,
        )
    return train_model(
        texts, task_labels, out, config, resume=resume, show_progress=show_progress, anchor_texts=anchors
    )
