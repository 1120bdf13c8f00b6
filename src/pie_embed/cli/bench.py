"""`pie bench`: the Instruction Embedding Benchmark, labeled files and the dev panel."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pie_embed.cli import options
from pie_embed.cli.app import app, console, friendly_errors
from pie_embed.embedding.config import DEFAULTS

DOWNSTREAM_PANEL = "Downstream benchmarks (--downstream)"
PER_TASK = 6  # icl queries per task: one LLM (gemma3-270m, the slower) fits in 15 minutes on 2 cores
DISTRACTORS = 2000
DEMONSTRATIONS = 4


def downstream_option(*flags: str, **settings: Any) -> Any:
    """A `pie bench` option of the downstream benchmarks, shown in their own help panel."""
    return typer.Option(*flags, rich_help_panel=DOWNSTREAM_PANEL, **settings)


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
    batch_size: options.Batch = DEFAULTS.batch_size,
    instruction_only: options.InstructionOnly = False,
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
    downstream: Annotated[
        str | None,
        downstream_option(
            "--downstream",
            help="A downstream benchmark instead of IEB: icl (in-context learning with retrieved "
            "demonstrations, real LLMs), select (task coverage of selected subsets) or compress "
            "(test-set compression of an icl run). -m adds models to all-minilm-l6-v2, pie-general and "
            "pie-static.",
        ),
    ] = None,
    llm: Annotated[
        list[str] | None,
        downstream_option(
            "--llm",
            help="icl: language model(s), repeatable (default smollm2-135m and gemma3-270m; or a local "
            "causal-LM folder).",
        ),
    ] = None,
    out: Annotated[
        Path,
        downstream_option(
            "--out",
            help="Run folder: icl keeps picks and answers there and resumes; compress reads its icl.json.",
        ),
    ] = Path("pie-downstream"),
    per_task: Annotated[
        int, downstream_option("--per-task", min=1, help="icl: test queries per task.")
    ] = PER_TASK,
    demonstrations: Annotated[
        int, downstream_option("--k", "-k", min=1, help="icl: demonstrations per query.")
    ] = DEMONSTRATIONS,
    distractors: Annotated[
        int,
        downstream_option("--distractors", min=0, help="icl: Alpaca distractor demonstrations in the pool."),
    ] = DISTRACTORS,
    task: Annotated[
        list[str] | None,
        downstream_option("--task", help="icl/select: only these Instruction Induction tasks; repeatable."),
    ] = None,
    pool: Annotated[
        list[str] | None,
        downstream_option("--pool", help="select: ieb, t0 and/or induction (default all three); repeatable."),
    ] = None,
    fraction: Annotated[
        list[float] | None,
        downstream_option(
            "--fraction",
            help="select/compress: subset size(s) as a fraction, repeatable (default 1%, 5%, 10% / 10%, 20%)",
        ),
    ] = None,
    seed: Annotated[int, downstream_option("--seed", help="icl/select: seed of the split and draws.")] = 0,
    downstream_dir: Annotated[
        Path | None,
        downstream_option(
            "--downstream-dir",
            help="Instruction Induction folder. Default: $PIE_DATA/downstream, else "
            "~/.local/share/pie_embed/downstream.",
        ),
    ] = None,
    distractor_file: Annotated[
        Path | None,
        downstream_option(
            "--distractor-file",
            help="icl: Alpaca-style JSONL of distractors. Default: the corpora folder's alpaca_5000.jsonl.",
        ),
    ] = None,
) -> None:
    """Run the Instruction Embedding Benchmark (ICT + IIS) and/or cluster labeled files; --panel runs
    the whole dev panel for one or more models side by side; --downstream runs a downstream benchmark
    (in-context learning with an LLM, data-selection coverage, test-set compression)."""
    if downstream is not None:
        from pie_embed.cli.downstream import DownstreamOptions, run_downstream

        run_downstream(
            DownstreamOptions(
                kind=downstream,
                models=list(model or []),
                llms=list(llm or []),
                out=out,
                downstream_dir=downstream_dir,
                distractor_file=distractor_file,
                ieb_dir=data,
                panel_dir=panel_dir,
                per_task=per_task,
                k=demonstrations,
                distractors=distractors,
                tasks=list(task or []),
                pools=list(pool or []),
                fractions=list(fraction or []),
                seeds=seeds,
                seed=seed,
                json_out=json_out,
            )
        )
        return
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
