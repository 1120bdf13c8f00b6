"""`pie train` (contrastive fine-tuning on task labels, or a named recipe) and `pie models`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pie_embed.cli.app import (
    BatchOption,
    FieldOption,
    ModelOption,
    app,
    console,
    friendly_errors,
)
from pie_embed.embedding.config import DEFAULTS


@app.command()
@friendly_errors
def train(
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
            help="Build a named model in one command: default -> pie-minilm (IEB labels), "
            "general -> pie-general (semantic task labels; also writes pie-general.safetensors with a card).",
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
    model: ModelOption = DEFAULTS.model,
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
    batch_size: BatchOption = 64,
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
    field: FieldOption = "instruction",
    label_field: Annotated[
        str, typer.Option("--label-field", help="Column holding the task label.")
    ] = "label",
) -> None:
    """Fine-tune an encoder on task labels (PIE contrastive training), or rebuild a shipped model."""
    from pie_embed.data.readers import read_instructions
    from pie_embed.errors import ConfigError
    from pie_embed.training import TrainConfig, train_model
    from pie_embed.training.recipes import run_recipe

    if recipe is not None:
        if train_file is not None:
            raise ConfigError("--recipe brings its own training data; leave out --train")
        result = run_recipe(recipe, data_root=data, output=output, resume=resume)
    else:
        if train_file is None or output is None:
            raise ConfigError("give --train FILE and -o DIR, or --recipe NAME")
        if mode not in ("supervised", "unsupervised"):
            raise ConfigError(f"--mode must be supervised or unsupervised, got {mode!r}")
        dataset = read_instructions(
            train_file, field=field, label_field=label_field, require_labels=mode == "supervised"
        )
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
            text for path in anchor or [] for text in read_instructions(path, join="newline").texts
        ]
        result = train_model(
            dataset.texts, labels, output, config, resume=resume, anchor_texts=anchor_texts or None
        )
    best = "-" if result.best_validation_ari is None else f"{result.best_validation_ari:.3f}"
    console.print(
        f"trained on {result.examples} examples, {result.steps} steps in {result.seconds:.0f} s "
        f"({'bf16' if result.bf16 else 'fp32'}), validation ARI {best} -> {result.output}"
    )
    shipped = result.output / f"{result.output.name}.safetensors"
    if recipe is not None and shipped.is_file():
        console.print(f"shipping file with its model card (panel scores in README.md): {shipped}")


@app.command()
def models() -> None:
    """List the model aliases and whether each is installed."""
    from pie_embed.embedding.models import ALIASES
    from pie_embed.embedding.offline import OFFLINE_MODELS

    for alias, target in ALIASES.items():
        console.print(f"{alias:<18} -> {target}")
    for alias, spec in OFFLINE_MODELS.items():
        state = "installed" if spec.is_installed() else f"not installed: {spec.install_hint}"
        console.print(
            f"{alias:<18} {spec.family:<8} [{state}] {spec.description}", highlight=False, markup=False
        )
    console.print("or any local model folder or Hugging Face id")


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
) -> None:
    """Distil a static model from its teacher and fit it on instruction corpora (minutes, once)."""
    from pie_embed.paths import data_dir
    from pie_embed.training.static import build_static_model

    folder = build_static_model(alias, data if data is not None else data_dir("corpora").parent)
    info = json.loads((folder / "pie_static.json").read_text(encoding="utf-8"))
    console.print(
        f"built {alias} from {info['recipe']['teacher']} on {info['texts']:,} texts in "
        f"{info['seconds']:.0f} s (fit loss per epoch {info['epoch_losses']}) -> {folder}"
    )
