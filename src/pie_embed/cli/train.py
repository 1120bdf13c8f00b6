"""`pie train` (contrastive fine-tuning on task labels, or a named recipe) and `pie models`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pie_embed.cli import options
from pie_embed.cli.app import app, console, data_source, friendly_errors
from pie_embed.embedding.config import DEFAULTS


@app.command()
@friendly_errors
def train(
    ctx: typer.Context,
    train_file: Annotated[
        Path | None,
        typer.Option("--train", help="Labeled instructions: IEB label dict or JSON/JSONL/CSV with labels."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Folder for the trained model.")
    ] = None,
    recipe: Annotated[
        str | None,
        typer.Option(
            "--recipe",
            help="Rebuild a shipped model in one command: general -> pie-general (the default model: "
            "semantic task labels), ieb -> pie-ieb (IEB labels only, the paper's setting); each also "
            "writes <alias>.safetensors with its model card. Takes only --data, -o, --resume, --seed, "
            "--bf16.",
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="For --recipe: the folder holding ieb/, corpora/, train_other/ and generalization/ "
            "(such as ../shared). Default: "
            "$PIE_DATA, else ~/.local/share/pie_embed.",
        ),
    ] = None,
    model: options.Model = DEFAULTS.model,
    prompt: Annotated[
        str, typer.Option("--prompt", "-p", help="Prompt the model is trained (and used) with.")
    ] = "none",
    pooling: Annotated[
        str, typer.Option("--pooling", help="mean or cls for encoders; last-2 (and others) for decoders.")
    ] = "mean",
    mode: Annotated[
        str, typer.Option("--mode", help="supervised (task labels) or unsupervised (SimCSE).")
    ] = "supervised",
    no_hard_negatives: Annotated[
        bool, typer.Option("--no-hard-negatives", help="Random other-task negatives only.")
    ] = False,
    no_mask: Annotated[
        bool,
        typer.Option(
            "--no-mask", help="Treat same-task instructions in a batch as negatives (the reference)."
        ),
    ] = False,
    similar_threshold: Annotated[
        float | None,
        typer.Option(
            "--similar-threshold",
            help="Also mask tasks whose label phrases are this close under the base model (e.g. 0.8).",
        ),
    ] = None,
    anchor: Annotated[
        list[Path] | None,
        typer.Option(
            "--anchor",
            help="Other-source instructions (any readable file, repeatable) kept near the base model.",
        ),
    ] = None,
    anchor_weight: Annotated[
        float, typer.Option("--anchor-weight", min=0.0, help="Weight of the anchoring loss.")
    ] = 10.0,
    lora: Annotated[
        bool | None,
        typer.Option("--lora/--no-lora", help="LoRA adapters (default: for decoders, not encoders)."),
    ] = None,
    lora_rank: Annotated[int, typer.Option("--lora-rank", min=1)] = 16,
    epochs: Annotated[float, typer.Option("--epochs", min=0.01)] = 1.0,
    max_examples: Annotated[
        int | None, typer.Option("--max-examples", min=1, help="Cap on training examples.")
    ] = None,
    batch_size: options.Batch = 64,
    learning_rate: Annotated[float, typer.Option("--lr")] = 2e-5,
    temperature: Annotated[float, typer.Option("--temperature")] = 0.05,
    max_length: Annotated[int, typer.Option("--max-length", min=8)] = 128,
    validation_share: Annotated[
        float,
        typer.Option(
            "--validation-share", min=0.0, max=0.5, help="Share of tasks held back to pick the checkpoint."
        ),
    ] = 0.1,
    eval_steps: Annotated[int, typer.Option("--eval-steps", min=1)] = 100,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    bf16: Annotated[
        bool | None,
        typer.Option("--bf16/--no-bf16", help="bf16 autocast (default: when the CPU has AMX/AVX512-BF16)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the last checkpoint in the output.")
    ] = False,
    field: options.Field = "instruction",
    label_field: options.LabelField = "label",
) -> None:
    """Fine-tune an encoder on task labels (PIE contrastive training), or rebuild a shipped model."""
    from pie_embed.errors import ConfigError
    from pie_embed.training import TrainConfig, train_model
    from pie_embed.training.recipes import run_recipe

    if recipe is not None:
        ignored = _options_given(ctx, exclude=RECIPE_OPTIONS)
        if ignored:
            raise ConfigError(
                f"--recipe {recipe} brings its own data and settings, so it would ignore "
                f"{', '.join(ignored)}; leave them out (it takes {', '.join(_flags(ctx, RECIPE_OPTIONS))})"
            )
        overrides: dict[str, object] = {} if bf16 is None else {"bf16": bf16}
        if _options_given(ctx, exclude=set(ctx.params) - {"seed"}):
            overrides["seed"] = seed
        result = run_recipe(recipe, data_root=data, output=output, resume=resume, **overrides)
    else:
        if train_file is None or output is None:
            raise ConfigError("give --train FILE and -o DIR, or --recipe NAME")
        if mode not in ("supervised", "unsupervised"):
            raise ConfigError(f"--mode must be supervised or unsupervised, got {mode!r}")
        source = data_source(train_file, field, label_field=label_field).check()
        dataset = source.read(require_labels=mode == "supervised")
        config = TrainConfig(
            base_model=model,
            prompt=prompt,
            pooling=pooling,
            mode=mode,  # type: ignore[arg-type]
            hard_negatives=not no_hard_negatives,
            mask_same_task=not no_mask,
            epochs=epochs,
            max_examples=max_examples,
            batch_size=batch_size,
            learning_rate=learning_rate,
            temperature=temperature,
            max_length=max_length,
            validation_share=validation_share,
            eval_steps=eval_steps,
            seed=seed,
            bf16=bf16,
            similar_task_threshold=similar_threshold,
            anchor_weight=anchor_weight if anchor else 0.0,
            lora=lora,
            lora_rank=lora_rank,
        )
        labels = [str(label) for label in dataset.labels] if mode == "supervised" else None
        anchor_texts = [
            text for path in anchor or [] for text in data_source(path, join="newline").check().read().texts
        ]
        result = train_model(
            dataset.texts, labels, output, config, resume=resume, anchor_texts=anchor_texts or None
        )
    best = "-" if result.best_validation_ari is None else f"{result.best_validation_ari:.3f}"
    console.print(
        f"trained on {result.examples} examples, {result.steps} steps in {result.seconds:.0f} s "
        f"({'bf16' if result.bf16 else 'fp32'}), validation ARI {best} -> {result.output}"
    )
    rebuilt = next((f for f in result.output.glob("pie-*.safetensors")), None)
    if recipe is not None and rebuilt is not None:
        console.print(f"shipping file with its model card (panel scores in README.md): {rebuilt}")
        _compare_with_shipped(rebuilt)


def _compare_with_shipped(rebuilt: Path) -> None:
    """The rebuilt model's panel next to the card of the model the package ships under its alias."""
    from pie_embed.embedding.shipped import SHIPPED_MODELS, read_card
    from pie_embed.training.model_card import compare_to_card

    card = read_card(rebuilt)
    spec = SHIPPED_MODELS.get(str(card.get("alias")))
    if spec is None or not spec.path.is_file():
        return
    lines = compare_to_card(card, read_card(spec.path))
    for line, within in lines:
        console.print(f"  {'within' if within else 'OUTSIDE'}: {line}", highlight=False, markup=False)
    if all(within for _, within in lines):
        console.print(f"the rebuild reproduces the shipped {spec.alias} within its card's tolerance")


# what `pie train --recipe` honours; every other option it would ignore, so it refuses them
RECIPE_OPTIONS = {"recipe", "data", "output", "resume", "seed", "bf16"}


def _options_given(ctx: typer.Context, exclude: set[str]) -> list[str]:
    """The flags of the options the user set (not left at their default), leaving out ``exclude``."""
    # by name: typer carries its own copy of click, whose ParameterSource is another enum
    defaults = {"DEFAULT", "DEFAULT_MAP"}
    given = [
        name
        for name in ctx.params
        if name not in exclude and getattr(ctx.get_parameter_source(name), "name", "DEFAULT") not in defaults
    ]
    return _flags(ctx, set(given))


def _flags(ctx: typer.Context, names: set[str]) -> list[str]:
    return [param.opts[0] for param in ctx.command.params if param.name in names and param.opts]


@app.command()
@friendly_errors
def models(
    card: Annotated[
        str | None,
        typer.Option("--card", help="Print the model card of a shipped model (alias or .safetensors file)."),
    ] = None,
) -> None:
    """List the models: the shipped ones (the default first) with a line of their card, the aliases,
    and the base models and whether each is installed."""
    from pie_embed.embedding.models import ALIASES, DEFAULT_MODEL
    from pie_embed.embedding.offline import OFFLINE_MODELS
    from pie_embed.embedding.shipped import SHIPPED_MODELS, read_card
    from pie_embed.embedding.static import SHIPPED_STATIC, read_static_file, shipped_data_path
    from pie_embed.training.model_card import card_markdown

    if card is not None:
        print(card_markdown(_card_of(card)), end="")
        return
    console.print("shipped models (inside the package, no download):", style="bold")
    for alias, spec in SHIPPED_MODELS.items():
        mark = " [default]" if alias == DEFAULT_MODEL else ""
        path = spec.path
        summary = _card_summary(read_card(path)) if path.is_file() else "file missing: reinstall pie-embed"
        console.print(
            f"  {alias + mark:<22} over {spec.base}, {_size(path)}: {spec.description}; {summary}",
            highlight=False,
            markup=False,
        )
    for alias, file in SHIPPED_STATIC.items():
        path = shipped_data_path(file)
        summary = _card_summary(read_static_file(path)[2]) if path.is_file() else "file missing"
        console.print(
            f"  {alias:<22} static table, {_size(path)}: the fast tier (--fast); {summary}",
            highlight=False,
            markup=False,
        )
    console.print("aliases:", style="bold")
    for alias, target in ALIASES.items():
        console.print(f"  {alias:<22} -> {target}", highlight=False, markup=False)
    console.print("base models (PyPI packages):", style="bold")
    for alias, spec in OFFLINE_MODELS.items():
        state = "installed" if spec.is_installed() else f"not installed: {spec.install_hint}"
        console.print(
            f"  {alias:<22} {spec.family:<8} [{state}] {spec.description}", highlight=False, markup=False
        )
    console.print("or any local model folder or Hugging Face id; `pie models --card NAME` prints a card")


@app.command("export")
@friendly_errors
def export(
    name: Annotated[str, typer.Argument(help="The model: an alias such as pie-general, or a folder.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="New folder for the export.")],
) -> None:
    """Write a model as a plain sentence-transformers folder: SentenceTransformer(DIR) then embeds as
    pie-embed does (full weights, pooling, length, normalisation; the model card as README.md)."""
    from pie_embed.embedding.export import export_sentence_transformer
    from pie_embed.embedding.models import shipped_file
    from pie_embed.training.model_card import card_markdown

    readme = card_markdown(_card_of(name)) if shipped_file(name) is not None else None
    folder = export_sentence_transformer(name, output, readme=readme)
    console.print(f"wrote {folder}: SentenceTransformer({str(folder)!r}) loads it", highlight=False)


def _card_of(name: str) -> dict:
    """The card of a shipped model by alias or file."""
    from pie_embed.embedding.models import ALIASES, shipped_file
    from pie_embed.embedding.shipped import read_card
    from pie_embed.embedding.static import (
        SHIPPED_STATIC,
        is_static_model,
        read_static_file,
        shipped_data_path,
    )
    from pie_embed.errors import ModelNotFoundError

    alias = ALIASES.get(name, name)
    if alias in SHIPPED_STATIC:
        return read_static_file(shipped_data_path(SHIPPED_STATIC[alias]))[2]
    if is_static_model(name) and Path(name).is_file():  # a static .safetensors file (not a folder)
        return read_static_file(name)[2]
    path = shipped_file(name)
    if path is None:
        raise ModelNotFoundError(
            f"{name}: not a shipped model (see `pie models`); only shipped models carry a card"
        )
    return read_card(path)


def _card_summary(card: dict) -> str:
    panel = card.get("panel")
    if not panel:
        return "no panel on its card"
    means = {s["set"]: s["mean"] for s in panel["scores"]}
    parts = [f"panel mean {panel['panel_mean']:.3f} (base {panel['base_panel_mean']:.3f})"]
    parts += [f"{k.split()[-1]} {means[k]:.3f}" for k in ("IEB ICT", "IEB IIS") if k in means]
    return ", ".join(parts)


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.1f} MB" if path.is_file() else "?"


static_app = typer.Typer(help="Static models (model2vec tables): thousands of texts per second on a CPU.")
app.add_typer(static_app, name="static")


@static_app.command("build")
@friendly_errors
def static_build(
    alias: Annotated[str, typer.Argument(help="The static model to build.")] = "pie-static",
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Folder with corpora/, ieb/ and train_other/ (such as ../shared) to fit on. Default: "
            "$PIE_DATA, else ~/.local/share/pie_embed.",
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Fit seed (the shipped table is the median of 0-2).")
    ] = 0,
) -> None:
    """Rebuild a static model: distil it from its teacher and fit it on instruction corpora (minutes).
    The package ships pie-static already; the rebuild loads by its folder or file path."""
    from dataclasses import replace

    from pie_embed.embedding.static import STATIC_MODELS
    from pie_embed.errors import ConfigError
    from pie_embed.paths import data_dir
    from pie_embed.training.static import build_static_model

    if alias not in STATIC_MODELS:
        raise ConfigError(f"unknown static model {alias!r}; known: {', '.join(STATIC_MODELS)}")
    recipe = replace(STATIC_MODELS[alias], seed=seed)
    folder = build_static_model(recipe, data if data is not None else data_dir("corpora").parent)
    info = json.loads((folder / "pie_static.json").read_text(encoding="utf-8"))
    console.print(
        f"built {alias} from {info['recipe']['teacher']} on {info['texts']:,} texts in "
        f"{info['seconds']:.0f} s (fit loss per epoch {info['epoch_losses']}) -> {folder}; use it with "
        f"-m {folder} (or its one-file form {folder / (alias + '.safetensors')}); -m {alias} is the "
        "shipped table",
        highlight=False,
    )
