"""Recipes: one command that rebuilds a shipped model from the IEB training text (`pie train --recipe`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from pie_embed.benchmark.files import ieb_test_files
from pie_embed.errors import ConfigError, DataError
from pie_embed.paths import data_dir
from pie_embed.training.anchors import corpus_anchor_texts
from pie_embed.training.trainer import TrainConfig, TrainResult, train_model

__all__ = ["RECIPES", "RENAMED_RECIPES", "Recipe", "recipe_data", "recipe_name", "run_recipe"]


@dataclass(frozen=True)
class Recipe:
    """Training data and configuration of one model.

    IEB rows: ``ieb_source`` labeled with ``pie label`` (labels under ``min_count`` left out, test files
    excluded), all of them or a seeded sample of ``ieb_rows``. Other rows: ``other_files`` of the
    ``train_other`` data folder (labels = task names); ``category_files`` of it once more with their
    ``category`` field as the label (prefix ``category:``), for coarse task types. When both are used,
    IEB labels get the prefix ``ieb:`` (see ``TrainConfig.batches_by_source``). When
    ``config.anchor_weight`` > 0, ``anchor_count`` texts of the corpora's training splits anchor the
    model to its base (see :mod:`pie_embed.training.anchors`). The model goes to the alias's folder.
    """

    alias: str
    config: TrainConfig
    ieb_source: str | None = "eft_train_unsup.json"
    ieb_rows: int | None = None
    min_count: int = 5
    other_files: tuple[str, ...] = ()
    category_files: tuple[str, ...] = ()
    anchor_count: int = 6000
    ship: bool = False  # also write the shipped file (weight change + model card with panel scores)


RECIPES: dict[str, Recipe] = {
    # the default model: semantic task labels (SNI train tasks, Self-Instruct seeds) and 3,000 IEB rows,
    # one label source per batch, label phrases closer than 0.7 masked as one task, anchored to the base
    # (the dev-panel ablation in docs/training.md). Pairs without a third negative column and anchors cut
    # to 64 tokens make it fit 20 minutes in fp32 on 2 cores; fp32 everywhere, so a CPU with bf16
    # rebuilds the same model as one without (--bf16 trades that for speed).
    "general": Recipe(
        alias="pie-general",
        config=TrainConfig(
            base_model="all-minilm-l6-v2",
            prompt="none",
            pooling="mean",
            max_length=128,
            hard_negatives=False,
            negative_column=False,
            similar_task_threshold=0.7,
            batches_by_source=True,
            epochs=1.0,
            eval_steps=40,
            anchor_weight=10.0,
            anchor_max_length=64,
            bf16=False,
        ),
        ieb_rows=3000,
        other_files=("sni_train_tasks.jsonl", "selfinstruct_seed_tasks.jsonl"),
        ship=True,
    ),
    # the paper's setting: IEB's `verb|noun` labels only, with hard negatives; ICT 0.73 but it pulls
    # paraphrases of one task apart (instruction_induction -0.17), so it ships by name, not as default
    "ieb": Recipe(
        alias="pie-ieb",
        config=TrainConfig(
            base_model="all-minilm-l6-v2",
            prompt="none",
            pooling="mean",
            max_length=64,
            # 0.4 epoch (138 steps): a full epoch (343 steps) reaches a higher ICT but forgets T0; see
            # BENCHMARKS.md
            epochs=0.4,
            eval_steps=50,
            anchor_weight=10.0,
            bf16=False,
        ),
        ship=True,
    ),
}
# old recipe names, kept for one release (CHANGELOG): name -> (current name, why it changed)
RENAMED_RECIPES: dict[str, str] = {"default": "ieb"}
IEB_PREFIX = "ieb:"
CATEGORY_PREFIX = "category:"


def recipe_data(
    recipe: Recipe, data_root: str | Path | None = None, *, seed: int = 0, show_progress: bool = True
) -> tuple[list[str], list[str]]:
    """The recipe's training texts and task labels (``other_files`` in order, then the IEB rows)."""
    import numpy as np

    from pie_embed.data.readers import read_instructions
    from pie_embed.labeling import TaskLabeler, build_ieb_dataset

    texts: list[str] = []
    labels: list[str] = []
    for name in recipe.other_files:
        path = _data_folder("train_other", data_root) / name
        dataset = read_instructions(path, require_labels=True)
        texts += dataset.texts
        labels += [str(label) for label in dataset.labels]
    for name in recipe.category_files:
        path = _data_folder("train_other", data_root) / name
        dataset = read_instructions(path, label_field="category", require_labels=True)
        texts += dataset.texts
        labels += [CATEGORY_PREFIX + str(label) for label in dataset.labels]
    if recipe.ieb_source is not None:
        ieb_dir = _data_folder("ieb", data_root)
        source = ieb_dir / recipe.ieb_source
        if not source.is_file():
            raise DataError(f"{source}: training text for recipe {recipe.alias!r} not found")
        records = read_instructions(source).records
        found = TaskLabeler(cache=True).label_many([r.text for r in records], show_progress=show_progress)
        tests = ieb_test_files(ieb_dir, excluding=source)
        dataset = build_ieb_dataset(records, found, min_count=recipe.min_count, test_files=tests)
        kept = [(r.text, label) for r, label in zip(records, dataset.assignments, strict=True) if label]
        if recipe.ieb_rows is not None and recipe.ieb_rows < len(kept):
            chosen = np.random.default_rng(seed).choice(len(kept), size=recipe.ieb_rows, replace=False)
            kept = [kept[i] for i in sorted(chosen)]
        prefix = IEB_PREFIX if recipe.other_files or recipe.category_files else ""
        texts += [text for text, _ in kept]
        labels += [prefix + label for _, label in kept]
    return texts, labels


def recipe_name(name: str) -> str:
    """``name`` as a recipe of :data:`RECIPES` (an old name gives its new one, with a warning)."""
    import warnings

    if name in RENAMED_RECIPES:
        new = RENAMED_RECIPES[name]
        warnings.warn(
            f"recipe {name!r} is now called {new!r} (its model is {RECIPES[new].alias}); "
            "the old name goes in the next release",
            DeprecationWarning,
            stacklevel=3,
        )
        return new
    if name not in RECIPES:
        raise ConfigError(f"unknown recipe {name!r}; known: {', '.join(RECIPES)}")
    return name


def _data_folder(name: str, data_root: str | Path | None) -> Path:
    return data_dir(name, Path(data_root) / name if data_root is not None else None)


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
    ``data_root`` holds ``ieb/``, ``corpora/``, ``train_other/`` and, for the card, ``generalization/``
    (default: found as :mod:`pie_embed.paths` says)."""
    from pie_embed.embedding.models import trained_model_dir

    name = recipe_name(name)
    recipe = RECIPES[name]
    config = replace(recipe.config, **overrides)  # type: ignore[arg-type]
    texts, task_labels = recipe_data(recipe, data_root, seed=config.seed, show_progress=show_progress)
    out = Path(output) if output is not None else trained_model_dir(recipe.alias)
    anchors = None
    if config.anchor_weight > 0:
        anchors = corpus_anchor_texts(
            _data_folder("corpora", data_root), limit=recipe.anchor_count, seed=config.seed
        )
    result = train_model(
        texts, task_labels, out, config, resume=resume, show_progress=show_progress, anchor_texts=anchors
    )
    if recipe.ship:
        from pie_embed.training.shipping import recipe_data_record, ship_model

        panel = _optional_data_folder("generalization", data_root)
        ship_model(
            result.output,
            recipe=name,
            alias=recipe.alias,
            data=recipe_data_record(recipe),
            base=config.base_model,
            panel_dir=panel,
            ieb_dir=_data_folder("ieb", data_root),
            show_progress=show_progress,
        )
    return result


def _optional_data_folder(name: str, data_root: str | Path | None) -> Path | None:
    """``name`` under the data folder, or None when there is none (optional data such as the panel)."""
    try:
        return _data_folder(name, data_root)
    except DataError:
        return None
