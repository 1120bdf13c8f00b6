"""`pie bench --downstream icl|select|compress`: the downstream benchmarks, over the Python API."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pie_embed.cli.app import console, err_console
from pie_embed.errors import ConfigError

KINDS = ("icl", "select", "compress")
Table = tuple[list[str], list[list[str]]]  # header and rows of cells
DISTRACTOR_FILE = "alpaca_5000.jsonl"


@dataclass
class DownstreamOptions:
    """What `pie bench` passes on (None: the benchmark's default)."""

    kind: str
    models: list[str]
    llms: list[str]
    out: Path
    downstream_dir: Path | None
    distractor_file: Path | None
    ieb_dir: Path | None
    panel_dir: Path | None
    per_task: int
    k: int
    distractors: int
    tasks: list[str]
    pools: list[str]
    fractions: list[float]
    seeds: int | None
    seed: int
    json_out: Path | None


def _write(out: Path, name: str, data: dict, json_out: Path | None, markdown: str) -> None:
    from pie_embed.data.atomic import atomic_write_text, write_json

    out.mkdir(parents=True, exist_ok=True)
    write_json(out / f"{name}.json", data)
    atomic_write_text(out / f"{name}.md", markdown)
    if json_out is not None:
        write_json(json_out, data)
    console.print(f"wrote {out / f'{name}.json'} and {out / f'{name}.md'}", highlight=False)


def _models(options: DownstreamOptions) -> list[str]:
    from pie_embed.downstream.icl import DEFAULT_MODELS

    return list(dict.fromkeys([*DEFAULT_MODELS, *options.models]))


def run_downstream(options: DownstreamOptions) -> None:
    """Run one downstream benchmark, print its tables, write JSON + Markdown (+ a plot) under ``out``."""
    from pie_embed.benchmark.machine import machine_line

    if options.kind not in KINDS:
        raise ConfigError(f"--downstream must be one of {', '.join(KINDS)}, got {options.kind!r}")
    console.print(f"machine: {machine_line()}", highlight=False)
    {"icl": _icl, "select": _select, "compress": _compress}[options.kind](options)


def _icl(options: DownstreamOptions) -> None:
    from pie_embed.benchmark.report import markdown_table
    from pie_embed.downstream.generator import DEFAULT_LLMS
    from pie_embed.downstream.icl import ICLSettings, run_icl
    from pie_embed.downstream.report import (
        icl_precision_rows,
        icl_rows,
        icl_task_rows,
        plot_icl,
        rich_table,
    )
    from pie_embed.paths import data_dir

    settings = ICLSettings(
        models=_models(options),
        llms=options.llms or list(DEFAULT_LLMS),
        per_task=options.per_task,
        k=options.k,
        distractors=options.distractors,
        seed=options.seed,
        tasks=options.tasks or None,
    )
    distractor_file = options.distractor_file or data_dir("corpora") / DISTRACTOR_FILE
    result = run_icl(
        settings,
        data_dir=data_dir("downstream", options.downstream_dir, option="--downstream-dir"),
        distractor_file=distractor_file,
        out=options.out,
        show_progress=True,
        log=lambda message: err_console.print(message, highlight=False),
    )
    overall, tasks, by_share = icl_rows(result), icl_task_rows(result), icl_precision_rows(result)
    title = (
        f"In-context learning: {len(result.queries)} queries, {result.settings['pool_rows']} pool rows, "
        f"k={settings.k}"
    )
    console.print(rich_table(title, *overall))
    console.print(rich_table("Per task (accuracy averaged over the LLMs / same-task P@k)", *tasks))
    share_title = "Accuracy by same-task demonstrations (every retrieving condition and LLM pooled)"
    console.print(rich_table(share_title, *by_share))
    markdown = (
        f"## {title}\n\n{markdown_table(*overall)}\n## Per task\n\n{markdown_table(*tasks)}\n"
        f"## {share_title}\n\n{markdown_table(*by_share)}"
    )
    _write(options.out, "icl", result.to_dict(), options.json_out, markdown)
    console.print(f"wrote {plot_icl(result, options.out / 'icl.png')}", highlight=False)


def _report(options: DownstreamOptions, name: str, result: Any, title: str, table: Table) -> None:
    """Print ``table`` and write ``result`` (JSON) and the table (Markdown) into the run folder."""
    from pie_embed.benchmark.report import markdown_table
    from pie_embed.downstream.report import rich_table

    console.print(rich_table(title, *table))
    _write(options.out, name, result.to_dict(), options.json_out, f"## {title}\n\n{markdown_table(*table)}")


def _select(options: DownstreamOptions) -> None:
    from pie_embed.downstream.coverage import FRACTIONS, SELECT_SEEDS, named_pools, selection_coverage
    from pie_embed.downstream.pickers import OneModelAtATime
    from pie_embed.downstream.report import coverage_rows

    pools = named_pools(
        options.pools,
        ieb_dir=options.ieb_dir,
        panel_dir=options.panel_dir,
        downstream_dir=options.downstream_dir,
        seed=options.seed,
        tasks=options.tasks or None,
    )
    result = selection_coverage(
        pools,
        OneModelAtATime(),
        _models(options),
        fractions=options.fractions or FRACTIONS,
        seeds=options.seeds or SELECT_SEEDS,
        log=lambda message: err_console.print(message, highlight=False),
    )
    title = "Data selection: task coverage (means ± sd over seeds)"
    _report(options, "select", result, title, coverage_rows(result))


def _compress(options: DownstreamOptions) -> None:
    from pie_embed.downstream.compression import COMPRESS_FRACTIONS, COMPRESS_SEEDS, compress_test_set
    from pie_embed.downstream.icl import ICLResult
    from pie_embed.downstream.pickers import OneModelAtATime
    from pie_embed.downstream.report import compression_rows

    result = compress_test_set(
        ICLResult.load(options.out),
        OneModelAtATime(),
        _models(options),
        fractions=options.fractions or COMPRESS_FRACTIONS,
        seeds=options.seeds or COMPRESS_SEEDS,
    )
    title = (
        f"Test-set compression: {result.queries} queries, {result.pairs} (LLM, condition) pairs; "
        "mean absolute accuracy error and Kendall's tau of the condition ranking, means ± sd over seeds"
    )
    _report(options, "compress", result, title, compression_rows(result))
