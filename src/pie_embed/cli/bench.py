"""`pie bench`: the Instruction Embedding Benchmark, labeled files and the dev panel."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pie_embed.cli.app import (
    BatchOption,
    InstructionOnlyOption,
    app,
    console,
    friendly_errors,
)
from pie_embed.embedding.config import DEFAULTS


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
    batch_size: BatchOption = DEFAULTS.batch_size,
    instruction_only: InstructionOnlyOption = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Recompute embeddings.")] = False,
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help="Embedding cache folder.")] = None,
    precision: Annotated[
        str,
        typer.Option(
            "--precision",
            help="fp32 (the reference protocol), bf16, int8, or auto (bf16 where the CPU has "
            "AMX/AVX512-BF16, else fp32).",
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
    if not model:
        from pie_embed.embedding.models import BASE_MODEL, DEFAULT_MODEL

        console.print(
            f"model: the default, {DEFAULT_MODEL} (task-aware, shipped in the package; "
            f"`pie models --card {DEFAULT_MODEL}` shows its card). The paper's reference protocol is "
            f"`-m {BASE_MODEL} --pooling mean`.",
            highlight=False,
        )
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
