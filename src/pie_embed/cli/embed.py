"""`pie embed`: vectors and a manifest for every instruction of a dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pie_embed.cli import options
from pie_embed.cli.app import app, console, data_source, fast_choice, friendly_errors
from pie_embed.embedding.config import DEFAULTS


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
    model: options.Model = DEFAULTS.model,
    fast: options.Fast = False,
    prompt: options.Prompt = None,
    pooling: options.Pooling = None,
    field: options.Field = "instruction",
    input_field: options.InputField = "input",
    join: options.Join = "none",
    split: options.Split = None,
    batch_size: options.Batch = DEFAULTS.batch_size,
    instruction_only: options.InstructionOnly = False,
    no_normalize: Annotated[
        bool, typer.Option("--no-normalize", help="Keep raw (unnormalized) vectors.")
    ] = False,
    precision: options.Precision = DEFAULTS.precision,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted run into the same folder.")
    ] = False,
    shard_rows: Annotated[
        int, typer.Option("--shard-rows", min=1, help="Rows per shard (folder output).")
    ] = 10_000,
    engine: options.Engine = "local",
    workers: options.Workers = 1,
    ray_address: options.RayAddress = None,
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
    from pie_embed.embedding.job import embed_to

    source = data_source(input_path, field, input_field, join=join, split=split)
    if fast:
        model = fast_choice(model, [source], engine=engine)
    config = DEFAULTS.replace(
        model=model,
        prompt=prompt,
        pooling=pooling,
        precision=precision,
        batch_size=batch_size,
        normalize=not no_normalize,
        instruction_tokens_only=instruction_only,
        torch_compile=torch_compile,
    )
    done = embed_to(
        source,
        output,
        config,
        folder=shards,
        engine=engine,
        shard_rows=shard_rows,
        resume=resume,
        workers=workers,
        address=ray_address,
    )
    where = f"({done.dimension}-d, {done.truncated} truncated)"
    if done.kind == "shards":
        where = (
            f"into {done.parts} shards ({done.resumed_parts} from an earlier run; {done.embedded:,} texts "
            f"through the model, {done.copied:,} repeats copied)"
        )
    if done.workers > 1 or engine == "ray":
        where += f" with {done.workers} Ray worker(s)"
    console.print(
        f"embedded {done.rows:,} instructions {where} in {done.seconds:.1f}s ({done.rows_per_second:.1f}/s) "
        f"-> {done.output}, manifest {done.manifest_path}"
    )
