"""`pie embed`: vectors and a manifest for every instruction of a dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pie_embed.cli.app import (
    BatchOption,
    EngineOption,
    FieldOption,
    InputFieldOption,
    InstructionOnlyOption,
    ModelOption,
    PoolingOption,
    PrecisionOption,
    PromptOption,
    RayAddressOption,
    WorkersOption,
    app,
    console,
    friendly_errors,
)
from pie_embed.defaults import DEFAULT_BATCH_SIZE


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
