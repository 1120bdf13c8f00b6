"""The ``pie`` command: a thin layer over the Python API."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from pie_embed.defaults import DEFAULT_BATCH_SIZE
from pie_embed.errors import PieError

app = typer.Typer(
    name="pie",
    help="Instruction embeddings that encode the task an instruction asks for.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Outside a terminal (logs, pipes) rich would wrap the results table at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True)

ModelOption = Annotated[str, typer.Option("--model", "-m", help="Alias, local directory or HF id.")]
PromptOption = Annotated[
    str | None,
    typer.Option(
        "--prompt",
        "-p",
        help="Preset (none, pie, pie-short, prompteol, pie-mask) or template. Default: the model's own "
        "(recorded by pie train), else none.",
    ),
]
PoolingOption = Annotated[
    str | None,
    typer.Option("--pooling", help="cls, mean, last, last-2, last-2-norm, last-and-first, mid, mask."),
]
BatchOption = Annotated[int, typer.Option("--batch-size", "-b", min=1)]
FieldOption = Annotated[str, typer.Option("--field", help="Column holding the instruction.")]
InputFieldOption = Annotated[str, typer.Option("--input-field", help="Column holding the input.")]
PrecisionOption = Annotated[
    str,
    typer.Option(
        "--precision",
        help="auto (bf16 where the CPU has AMX/AVX512-BF16, else fp32; PIE_PRECISION overrides), "
        "fp32 or bf16.",
    ),
]
EngineOption = Annotated[
    str, typer.Option("--engine", help="local, or ray (Ray Data; a local Ray unless --ray-address).")
]
WorkersOption = Annotated[int, typer.Option("--workers", min=1, help="Model actors for --engine ray.")]
RayAddressOption = Annotated[
    str | None, typer.Option("--ray-address", help="Ray cluster to run on, e.g. ray://head:10001.")
]
InstructionOnlyOption = Annotated[
    bool, typer.Option("--instruction-only", help="Mean pooling over the instruction's own tokens only.")
]


def friendly_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Show pie-embed's errors as one red line and exit with status 2 instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr)
        try:
            return command(*args, **kwargs)
        except PieError as error:
            err_console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted[/yellow]")
            raise typer.Exit(130) from None

    return wrapper


@app.command()
@friendly_errors
def bench(
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="Model(s) to compare; repeat the option.")
    ] = None,
    prompt: Annotated[list[str] | None, typer.Option("--prompt", "-p", help="Prompt(s); repeatable.")] = None,
    pooling: Annotated[
        list[str] | None, typer.Option("--pooling", help="Pooling(s); repeatable. Default: the model's.")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Folder with eft_test.json and intention_similarity_test.json. Default: $PIE_DATA/ieb, "
            "else ~/.local/share/pie_embed/ieb (none when only --cluster is given).",
        ),
    ] = None,
    cluster: Annotated[
        list[Path] | None, typer.Option("--cluster", help="Labeled file to score by clustering; repeatable.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write all numbers to this JSON file.")
    ] = None,
    seeds: Annotated[
        int | None,
        typer.Option(
            "--seeds", min=1, help="Also report ARI mean/sd over this many seeds (default 1; 5 with --panel)."
        ),
    ] = None,
    panel: Annotated[
        bool,
        typer.Option(
            "--panel",
            help="The dev panel: IEB plus every labeled set of the generalization folder (and --cluster "
            "files), models side by side as means over >= 5 seeds, with deltas to the first model.",
        ),
    ] = False,
    panel_dir: Annotated[
        Path | None,
        typer.Option(
            "--panel-dir",
            help="Folder of the panel's labeled sets. Default: $PIE_DATA/generalization, else "
            "~/.local/share/pie_embed/generalization.",
        ),
    ] = None,
    batch_size: BatchOption = DEFAULT_BATCH_SIZE,
    instruction_only: InstructionOnlyOption = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Recompute embeddings.")] = False,
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help="Embedding cache folder.")] = None,
    precision: Annotated[
        str,
        typer.Option(
            "--precision",
            help="fp32 (the reference protocol), bf16, or auto (bf16 where the CPU has AMX/AVX512-BF16).",
        ),
    ] = "fp32",
) -> None:
    """Run the Instruction Embedding Benchmark (ICT + IIS) and/or cluster labeled files; --panel runs
    the whole dev panel for one or more models side by side."""
    from pie_embed.benchmark.ieb import load_ieb, run_benchmark
    from pie_embed.benchmark.panel import check_seeds, panel_files, panel_table
    from pie_embed.benchmark.report import results_table, write_json
    from pie_embed.embedding.cache import EmbeddingCache
    from pie_embed.paths import cache_dir as default_cache_dir
    from pie_embed.paths import data_dir

    clusters = list(cluster or [])
    if panel:
        seeds = 5 if seeds is None else seeds
        check_seeds(seeds)
        clusters = panel_files(data_dir("generalization", panel_dir, option="--panel-dir")) + clusters
        ieb = load_ieb(data_dir("ieb", data), clusters)
    else:
        ieb = load_ieb(data if data is not None or cluster else data_dir("ieb"), clusters)
    seeds = seeds or 1
    cache = None if no_cache else EmbeddingCache(cache_dir or default_cache_dir() / "embeddings")
    results = run_benchmark(
        ieb,
        models=model or ["default"],
        prompts=prompt or [None],
        poolings=pooling or [None],
        cache=cache,
        seeds=seeds,
        batch_size=batch_size,
        instruction_tokens_only=instruction_only,
        precision=precision,
    )
    console.print(panel_table(results, seeds) if panel else results_table(results))
    if json_out:
        write_json(results, json_out)
        console.print(f"wrote {json_out}")


@app.command()
@friendly_errors
def embed(
    input_path: Annotated[Path, typer.Argument(help="JSON, JSONL, CSV, Parquet or saved HF dataset folder.")],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="A .npy or .parquet file (read whole), or a folder ending in '/' (or --shards): the input "
            "is streamed into shards that --resume continues.",
        ),
    ],
    shards: Annotated[
        bool, typer.Option("--shards", help="Write a folder of shards, whatever the output's name.")
    ] = False,
    model: ModelOption = "default",
    prompt: PromptOption = None,
    pooling: PoolingOption = None,
    field: FieldOption = "instruction",
    input_field: InputFieldOption = "input",
    join: Annotated[
        str,
        typer.Option(
            "--join",
            help="How the input joins the instruction: none, newline, space or a "
            "template with {instruction} and {input}.",
        ),
    ] = "none",
    split: Annotated[str | None, typer.Option("--split", help="Split of a saved DatasetDict.")] = None,
    batch_size: BatchOption = DEFAULT_BATCH_SIZE,
    instruction_only: InstructionOnlyOption = False,
    no_normalize: Annotated[
        bool, typer.Option("--no-normalize", help="Keep raw (unnormalized) vectors.")
    ] = False,
    precision: PrecisionOption = "auto",
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted run into the same folder.")
    ] = False,
    shard_rows: Annotated[
        int, typer.Option("--shard-rows", min=1, help="Rows per shard (folder output).")
    ] = 10_000,
    engine: EngineOption = "local",
    workers: WorkersOption = 1,
    ray_address: RayAddressOption = None,
    torch_compile: Annotated[
        bool | None,
        typer.Option(
            "--compile/--no-compile",
            help="torch.compile the model (about 20 s once, then ~1.3x faster). Default: only for inputs "
            "over 32 MB.",
        ),
    ] = None,
) -> None:
    """Embed every instruction of a dataset: vectors plus a manifest. A folder output streams any size."""
    from pie_embed.data.writers import embeddings_output
    from pie_embed.embedding.embedder import InstructionEmbedder
    from pie_embed.embedding.encoder import check_engine
    from pie_embed.embedding.files import embed_file
    from pie_embed.embedding.stream import embed_stream
    from pie_embed.errors import ConfigError

    output_path, is_folder = embeddings_output(output, folder=shards)
    single_file = not is_folder
    if single_file and resume:
        raise ConfigError("--resume continues a folder output (-o DIR/); a single file is written at once")
    if check_engine(engine) == "ray" and (single_file or resume):
        raise ConfigError("--engine ray writes a folder of Parquet files (-o DIR/) and has no --resume")

    # One set of settings: this process's embedder, and the recipe each Ray actor builds its own from.
    settings: dict[str, Any] = {
        "model": model,
        "prompt": prompt,
        "pooling": pooling,
        "precision": precision,
        "batch_size": batch_size,
        "normalize": not no_normalize,
        "instruction_tokens_only": instruction_only,
        "torch_compile": torch_compile,
    }
    embedder = InstructionEmbedder(**settings)
    if engine == "ray":
        from pie_embed.embedding.ray_engine import embed_with_ray

        done = embed_with_ray(
            embedder,
            settings,
            input_path,
            output_path,
            field=field,
            input_field=input_field,
            join=join,
            split=split,
            workers=workers,
            address=ray_address,
        )
        console.print(
            f"embedded {done.rows:,} rows with {done.workers} Ray worker(s) into {done.files} Parquet files "
            f"in {done.seconds:.1f}s -> {done.folder}"
        )
        return
    if not single_file:
        run = embed_stream(
            embedder,
            input_path,
            output_path,
            field=field,
            input_field=input_field,
            join=join,
            split=split,
            shard_rows=shard_rows,
            resume=resume,
        )
        console.print(
            f"embedded {run.rows:,} rows into {run.shards} shards ({run.resumed_shards} from an earlier run; "
            f"{run.embedded:,} texts through the model, {run.copied:,} repeats copied) in {run.seconds:.1f}s "
            f"-> {run.folder}"
        )
        return
    result = embed_file(
        embedder, input_path, output_path, field=field, input_field=input_field, join=join, split=split
    )
    stats = result.stats
    console.print(
        f"embedded {result.manifest.count} instructions ({result.manifest.dimension}-d, "
        f"{stats.texts_per_second:.1f}/s, {stats.truncated} truncated) -> {result.output}, "
        f"manifest {result.manifest_path}"
    )


@app.command()
@friendly_errors
def label(
    input_path: Annotated[
        Path | None, typer.Argument(help="Instructions: JSON, JSONL, CSV, Parquet or saved HF dataset.")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Rows with their labels (.jsonl/.json/.csv/.parquet; default <input stem>.labeled.jsonl), "
            "or with --ieb-format an IEB label dict (.json; default <input stem>.ieb.json).",
        ),
    ] = None,
    ieb_format: Annotated[
        bool, typer.Option("--ieb-format", help="Write an IEB-style benchmark: {label: {number, samples}}.")
    ] = False,
    field: FieldOption = "instruction",
    input_field: InputFieldOption = "input",
    split: Annotated[str | None, typer.Option("--split", help="Split of a saved DatasetDict.")] = None,
    min_count: Annotated[
        int, typer.Option("--min-count", min=1, help="Leave out labels with fewer instructions.")
    ] = 1,
    no_merge: Annotated[
        bool, typer.Option("--no-merge-synonyms", help="Keep WordNet-synonym labels apart.")
    ] = False,
    test_size: Annotated[
        float, typer.Option("--test-size", min=0.0, max=0.99, help="Share for a stratified test part.")
    ] = 0.0,
    test_output: Annotated[
        Path | None, typer.Option("--test-output", help="Test part file (default <output stem>.test.json).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the train/test split.")] = 0,
    check_overlap: Annotated[
        list[Path] | None,
        typer.Option(
            "--check-overlap",
            help="Test file whose instructions are left out; repeatable. Default: the IEB test files in "
            "$PIE_DATA/ieb or ~/.local/share/pie_embed/ieb, where there are any.",
        ),
    ] = None,
    no_overlap_check: Annotated[
        bool, typer.Option("--no-overlap-check", help="Do not look for the instructions in test files.")
    ] = False,
    evaluate: Annotated[
        Path | None,
        typer.Option(
            "--evaluate",
            help="Label this gold file (IEB label dict, IIS pairs, labeled JSONL) and score agreement.",
        ),
    ] = None,
    label_field: Annotated[str, typer.Option("--label-field", help="Gold label column.")] = "label",
    batch_size: BatchOption = 256,
    n_process: Annotated[int, typer.Option("--n-process", min=1, help="spaCy worker processes.")] = 1,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not reuse or keep labels on disk.")
    ] = False,
) -> None:
    """Give each instruction its IEB task category (verb|noun), or score the labeler against gold labels."""
    from pie_embed.benchmark.files import ieb_test_files
    from pie_embed.data.readers import read_instructions
    from pie_embed.data.writers import write_records
    from pie_embed.errors import ConfigError
    from pie_embed.labeling import TaskLabeler, build_ieb_dataset, label_agreement, read_gold_labels
    from pie_embed.labeling.agreement import agreement_rows
    from pie_embed.labeling.dataset import labeled_rows
    from pie_embed.labeling.report import agreement_table, confusion_table, stats_table

    if evaluate is None and input_path is None:
        raise ConfigError("give INPUT to label, or --evaluate GOLD to score against gold labels")
    if evaluate is not None and input_path is not None:
        raise ConfigError("--evaluate labels the gold file itself; leave out INPUT")
    labeler = TaskLabeler(batch_size=batch_size, n_process=n_process, cache=not no_cache)
    if evaluate is not None:
        texts, gold = read_gold_labels(evaluate, field=field, label_field=label_field)
        predicted = labeler.label_many(texts, show_progress=True)
        agreement = label_agreement(texts, predicted, gold)
        console.print(agreement_table(agreement, f"agreement with {evaluate}"))
        console.print(confusion_table(agreement))
        if output is not None:
            write_records(output, agreement_rows(texts, predicted, gold))
            console.print(f"wrote {output}")
        return
    assert input_path is not None
    if output is None:
        output = Path(input_path.stem + (".ieb.json" if ieb_format else ".labeled.jsonl"))
    if no_overlap_check:
        test_files: list[Path] = []
    else:
        test_files = check_overlap if check_overlap is not None else ieb_test_files(excluding=input_path)
        if not test_files and ieb_format:
            console.print(
                "note: no IEB test files found ($PIE_DATA/ieb or ~/.local/share/pie_embed/ieb), so no "
                "overlap with them was checked; name test files with --check-overlap"
            )
    dataset = read_instructions(input_path, field=field, input_field=input_field, split=split)
    labels = labeler.label_many(dataset.texts, show_progress=True)
    built = build_ieb_dataset(
        dataset.records,
        labels,
        min_count=min_count,
        merge_synonyms=not no_merge,
        test_size=test_size,
        seed=seed,
        test_files=test_files,
        input_field=input_field,
    )
    console.print(stats_table(built.stats))
    rows = labeled_rows(dataset.records, labels, built)
    if ieb_format:
        written = built.write(output, test_output, rows=rows)
    else:
        write_records(output, rows)
        written = [output]
    console.print("wrote " + ", ".join(str(path) for path in written))


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
    model: ModelOption = "default",
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


from pie_embed.cli import tools as _tools  # noqa: E402,F401  (registers the tools' commands)

if __name__ == "__main__":
    app()
from pie_embed.cli import serve as _serve  # noqa: E402,F401  (registers `pie serve`)
