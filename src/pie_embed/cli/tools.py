"""`pie select`, `pie dedup`, `pie index`, `pie retrieve`, `pie correlate`, `pie identify`, `pie map`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pie_embed.cli import options
from pie_embed.cli.app import app, console, data_source, fast_choice, friendly_errors, model_encoder
from pie_embed.embedding.config import DEFAULTS

if TYPE_CHECKING:
    from pie_embed.data.source import InstructionSource
    from pie_embed.embedding.protocol import TextEncoder

index_app = typer.Typer(help="Demonstration indexes for `pie retrieve`.", no_args_is_help=True)
app.add_typer(index_app, name="index")

EmbeddingsOption = Annotated[
    Path | None,
    typer.Option("--embeddings", "-e", help="Vectors from `pie embed` of this same file (skips embedding)."),
]
SeedOption = Annotated[int, typer.Option("--seed")]


def _encoder_unless_given(
    source: InstructionSource, embeddings: Path | None, model: str, fast: bool, **settings: Any
) -> TextEncoder | None:
    """The encoder of -m (or of --fast's choice), or None when --embeddings gives the vectors; those
    must then be the named model's."""
    if embeddings is None:
        engine = str(settings.get("engine", "local"))
        return model_encoder(fast_choice(model, [source], engine=engine) if fast else model, **settings)
    if model != DEFAULTS.model:
        from pie_embed.tools.vectors import check_embeddings_model

        check_embeddings_model(embeddings, model)
    return None


@app.command("select")
@friendly_errors
def select(
    data: Annotated[Path, typer.Argument(help="Dataset: JSON, JSONL, CSV, Parquet or saved HF dataset.")],
    n: Annotated[int, typer.Option("-n", help="Rows to keep.")],
    method: Annotated[
        str, typer.Option("--method", help="kmeans (the paper's), dbscan or diverse.")
    ] = "kmeans",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Subset file (default <input stem>.selected.<ext>).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Report JSON (default <output>.report.json).")
    ] = None,
    dedup: Annotated[
        float | None,
        typer.Option("--dedup", help="First drop rows at least this cosine-similar to an earlier row."),
    ] = None,
    diversity_threshold: Annotated[
        float,
        typer.Option("--diversity-threshold", help="diverse: keep a row only below this cosine to all kept."),
    ] = 0.9,
    eps: Annotated[
        float, typer.Option("--eps", help="dbscan: neighbourhood radius in cosine distance.")
    ] = 0.15,
    min_samples: Annotated[int, typer.Option("--min-samples", min=1, help="dbscan: core point size.")] = 5,
    no_labels: Annotated[
        bool, typer.Option("--no-labels", help="Skip the task coverage (pie label).")
    ] = False,
    embeddings: EmbeddingsOption = None,
    model: options.Model = DEFAULTS.model,
    fast: options.Fast = False,
    prompt: options.Prompt = None,
    pooling: options.Pooling = None,
    field: options.Field = "instruction",
    input_field: options.InputField = "input",
    join: options.Join = "none",
    split: options.Split = None,
    seed: SeedOption = 0,
    engine: options.Engine = "local",
    workers: options.Workers = 1,
    ray_address: options.RayAddress = None,
) -> None:
    """Select N instructions (data selection; on a test set, test-set compression)."""
    from pie_embed.tools.select import select_file

    source = data_source(data, field, input_field, join=join, split=split)
    engine_settings = {"engine": engine, "workers": workers, "ray_address": ray_address}
    encoder = _encoder_unless_given(
        source, embeddings, model, fast, prompt=prompt, pooling=pooling, **engine_settings
    )
    result = select_file(
        source,
        n,
        method,
        output=output,
        report_path=report,
        embedder=encoder,
        embeddings=embeddings,
        dedup_threshold=dedup,
        diversity_threshold=diversity_threshold,
        eps=eps,
        min_samples=min_samples,
        seed=seed,
        label_tasks=not no_labels,
        show_progress=True,
    )
    report = result.report
    tasks = report.tasks
    covered = "" if not tasks else f", {tasks.tasks_selected} of {tasks.tasks_in_input} tasks covered"
    console.print(
        f"kept {report.selected} of {report.input_rows} rows ({report.method}, {report.clusters} clusters, "
        f"{report.duplicates_removed} near-duplicates removed{covered}) -> {result.output}, report "
        f"{result.report_path}"
    )
    for note in report.notes:
        console.print(f"note: {note}", highlight=False)


def _columns_source(data: Path, columns: str, split: str | None) -> InstructionSource:
    """--columns: one column, or two joined by a newline (instruction and its input, or its response)."""
    from pie_embed.errors import ConfigError

    names = [name.strip() for name in columns.split(",")]
    if not 1 <= len(names) <= 2 or not all(names):
        raise ConfigError(
            f"--columns {columns!r}: give one column or two separated by a comma (instruction,input); "
            "more columns: pie_embed.deduplicate(records, columns=[...]) in Python"
        )
    if len(names) == 1:
        return data_source(data, names[0], split=split)
    return data_source(data, names[0], names[1], join="newline", split=split)


@app.command("dedup")
@friendly_errors
def dedup(
    data: Annotated[Path, typer.Argument(help="Dataset: JSON, JSONL, CSV, Parquet or saved HF dataset.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Kept rows (default <input stem>.dedup.<ext>).")
    ] = None,
    threshold: Annotated[
        float,
        typer.Option(
            "--threshold", "-t", help="Remove a row at least this cosine-similar to an earlier kept row."
        ),
    ] = 0.9,
    columns: Annotated[
        str,
        typer.Option(
            "--columns",
            "-c",
            help="Column(s) to compare: instruction, or two joined by a newline: instruction,input.",
        ),
    ] = "instruction",
    outliers: Annotated[
        float,
        typer.Option("--outliers", help="Also remove this fraction of rows farthest from all others (0-1)."),
    ] = 0.0,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="Also remove rows that repeat a row of this file (a training set, for a test set).",
        ),
    ] = None,
    embeddings: EmbeddingsOption = None,
    model: options.Model = DEFAULTS.model,
    fast: options.Fast = False,
    prompt: options.Prompt = None,
    pooling: options.Pooling = None,
    split: options.Split = None,
    engine: options.Engine = "local",
    workers: options.Workers = 1,
    ray_address: options.RayAddress = None,
) -> None:
    """Remove near-duplicates (and outliers): every other row kept with all its fields, every removed row
    explained in <output>.duplicates.jsonl."""
    from pie_embed.tools.deduplicate import dedup_file

    source = _columns_source(data, columns, split)
    encoder = None
    if against is not None and embeddings is not None:  # the reference needs the model of the vectors
        from pie_embed.data.embeddings import embeddings_manifest
        from pie_embed.tools.vectors import check_embeddings_model

        made_by = embeddings_manifest(embeddings)
        if model == DEFAULTS.model:  # -m left out: the model, prompt and pooling that made the vectors
            model, prompt, pooling = made_by.model, prompt or made_by.prompt, pooling or made_by.pooling
        check_embeddings_model(embeddings, model)
        encoder = model_encoder(model, prompt, pooling)
    encoder = encoder or _encoder_unless_given(
        source,
        embeddings,
        model,
        fast,
        prompt=prompt,
        pooling=pooling,
        engine=engine,
        workers=workers,
        ray_address=ray_address,
    )
    result = dedup_file(
        source,
        output,
        threshold=threshold,
        outliers=outliers,
        against=against,
        embedder=encoder,
        embeddings=embeddings,
        show_progress=True,
    )
    report = result.report
    removed = f"{report.duplicates} near-duplicates (cosine >= {report.threshold})"
    if report.against:
        removed += f", {report.in_reference} repeating rows of {report.against}"
    if report.outlier_fraction:
        removed += f" and {report.outliers} outliers"
    console.print(
        f"kept {report.kept} of {report.input_rows} rows, removed {removed} -> {result.output}; "
        f"why each row went: {result.explanation_path}",
        highlight=False,
    )


@index_app.command("build")
@friendly_errors
def index_build(
    pool: Annotated[
        Path, typer.Argument(help="Demonstration pool: JSON, JSONL, CSV, Parquet or HF dataset.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Index folder to write.")],
    model: options.Model = DEFAULTS.model,
    prompt: options.Prompt = None,
    pooling: options.Pooling = None,
    field: options.Field = "instruction",
    input_field: options.InputField = "input",
    join: options.Join = "none",
    exact_below: Annotated[
        int, typer.Option("--exact-below", help="Exact search below this many rows, faiss HNSW above.")
    ] = 50_000,
    batch_size: options.Batch = DEFAULTS.batch_size,
) -> None:
    """Embed a pool of demonstrations and save a neighbour index over it."""
    from pie_embed.tools.retrieve import DemonstrationIndex

    index = DemonstrationIndex.build(
        data_source(pool, field, input_field, join=join),
        embedder=model_encoder(model, prompt, pooling, batch_size=batch_size),
        exact_below=exact_below,
        show_progress=True,
    )
    index.save(output)
    console.print(f"indexed {len(index)} demonstrations ({index.index.kind} search) -> {output}")


@app.command("retrieve")
@friendly_errors
def retrieve(
    index: Annotated[Path, typer.Argument(help="Index folder from `pie index build`.")],
    queries: Annotated[Path, typer.Argument(help="Queries: JSON, JSONL, CSV, Parquet or HF dataset.")],
    k: Annotated[int, typer.Option("-k", min=1, help="Demonstrations per query.")] = 4,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="JSONL of demonstrations and prompts (default stdout)."),
    ] = None,
    prompts: Annotated[
        Path | None, typer.Option("--prompts", help="Also write the few-shot prompts as text, one per query.")
    ] = None,
    field: options.Field = "instruction",
    input_field: options.InputField = "input",
    output_field: Annotated[
        str, typer.Option("--output-field", help="Demonstrations' answer column.")
    ] = "output",
) -> None:
    """Top-k demonstrations per query, as JSONL with a ready Alpaca-style few-shot prompt."""
    from pie_embed.tools.retrieve import DemonstrationIndex, retrieve_file

    run = retrieve_file(
        DemonstrationIndex.load(index),
        data_source(queries, field, input_field),
        k,
        output=output,
        prompts_path=prompts,
        output_field=output_field,
        show_progress=True,
    )
    if output is None:
        sys.stdout.write("".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in run.records))
    else:
        console.print(f"retrieved {k} demonstrations for {len(run.records)} queries -> {output}")


@app.command("correlate")
@friendly_errors
def correlate(
    datasets: Annotated[list[Path], typer.Argument(help="Two or more datasets.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for CSV, JSON and PNG heatmaps.")],
    max_rows: Annotated[
        int | None,
        typer.Option("--max-rows", min=1, help="Seeded sample of at most this many rows per dataset."),
    ] = None,
    model: options.Model = DEFAULTS.model,
    fast: options.Fast = False,
    prompt: options.Prompt = None,
    pooling: options.Pooling = None,
    field: options.Field = "instruction",
    seed: SeedOption = 0,
    engine: options.Engine = "local",
    workers: options.Workers = 1,
    ray_address: options.RayAddress = None,
) -> None:
    """Task correlation between datasets: Wasserstein distance and coverage matrices with heatmaps."""
    from pie_embed.tools.correlate import correlate_files

    sources = [data_source(path, field) for path in datasets]
    if fast:
        model = fast_choice(model, sources, max_rows=max_rows, engine=engine)
    result = correlate_files(
        sources,
        output,
        embedder=model_encoder(
            model, prompt, pooling, engine=engine, workers=workers, ray_address=ray_address
        ),
        max_rows=max_rows,
        seed=seed,
        show_progress=True,
    )
    console.print("wrote " + ", ".join(str(p) for p in result.files))


@app.command("identify")
@friendly_errors
def identify(
    instructions: Annotated[list[str] | None, typer.Argument(help="Instruction(s); or use --input.")] = None,
    input_path: Annotated[
        Path | None, typer.Option("--input", "-i", help="A dataset file to identify.")
    ] = None,
    bank: Annotated[
        list[Path] | None,
        typer.Option(
            "--bank",
            help="Labeled file(s) of known tasks, e.g. IEB's eft_test.json (default: the 909 tasks "
            "shipped with pie-embed); repeatable.",
        ),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Nearest known tasks to show.")] = 5,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write JSONL instead of a table.")
    ] = None,
    model: options.Model = DEFAULTS.model,
    prompt: options.Prompt = None,
    pooling: options.Pooling = None,
    field: options.Field = "instruction",
    label_field: options.LabelField = "label",
) -> None:
    """The task label of each instruction and the nearest known tasks."""
    from pie_embed.data.records import write_records
    from pie_embed.errors import ConfigError
    from pie_embed.tools.identify import TaskBank, TaskIdentifier

    if bool(instructions) == (input_path is not None):
        raise ConfigError("give instructions as arguments or one --input file, not both and not neither")
    texts = list(instructions) if instructions else data_source(input_path, field).check().read().texts  # type: ignore[arg-type]
    embedder = model_encoder(model, prompt, pooling)
    task_bank = TaskBank.from_files(embedder, bank, field=field, label_field=label_field)
    found = TaskIdentifier(embedder, task_bank).identify(texts, top=top)
    if output is not None:
        write_records(output, [f.to_dict() for f in found])
        console.print(f"identified {len(found)} instructions -> {output}")
        return
    from rich.table import Table

    table = Table("instruction", "task (pie label)", f"nearest known tasks ({len(task_bank)} in the bank)")
    for f in found:
        near = ", ".join(f"{t.task} {t.similarity:.2f}" for t in f.nearest)
        table.add_row(f.text if len(f.text) < 80 else f.text[:77] + "...", f.label or f"- ({f.reason})", near)
    console.print(table)


@app.command("map")
@friendly_errors
def task_map(
    data: Annotated[Path, typer.Argument(help="Dataset: JSON, JSONL, CSV, Parquet or saved HF dataset.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file (a PNG is written next to it).")],
    color: Annotated[
        str, typer.Option("--color", help="task (pie label), label (the file's) or cluster.")
    ] = "task",
    projection: Annotated[str, typer.Option("--projection", help="tsne, umap or pca.")] = "tsne",
    clusters: Annotated[int, typer.Option("--clusters", min=1, help="k for --color cluster.")] = 20,
    max_points: Annotated[
        int, typer.Option("--max-points", min=3, help="Seeded sample above this.")
    ] = 20_000,
    embeddings: EmbeddingsOption = None,
    model: options.Model = DEFAULTS.model,
    fast: options.Fast = False,
    prompt: options.Prompt = None,
    pooling: options.Pooling = None,
    field: options.Field = "instruction",
    label_field: options.LabelField = "label",
    seed: SeedOption = 0,
) -> None:
    """A 2-D task map of a dataset as interactive HTML and PNG."""
    from pie_embed.tools.task_map import map_file

    source = data_source(data, field, label_field=label_field)
    result = map_file(
        source,
        output,
        embedder=_encoder_unless_given(source, embeddings, model, fast, prompt=prompt, pooling=pooling),
        embeddings=embeddings,
        color_by=color,
        clusters=clusters,
        projection=projection,
        max_points=max_points,
        seed=seed,
        show_progress=True,
    )
    console.print(f"mapped {len(result.task_map.rows)} instructions -> {result.html}, {result.png}")
