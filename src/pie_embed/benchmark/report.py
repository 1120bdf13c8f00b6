"""Presenting benchmark results: a side-by-side rich table and a JSON document."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

from pie_embed.benchmark.ieb import BenchmarkResult
from pie_embed.data import atomic


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def results_table(results: Sequence[BenchmarkResult]) -> Table:
    """One row per setting, plus a row of random baselines."""
    seeds = max((len(r.ict.seed_aris) for r in results if r.ict), default=1)
    cluster_names = list(dict.fromkeys(name for r in results for name in r.clusters))
    table = Table(title="Instruction Embedding Benchmark")
    for column in ("model", "prompt", "pooling"):
        table.add_column(column)
    has_ict = any(r.ict for r in results)
    if has_ict:
        table.add_column("ICT ARI", justify="right")
        if seeds > 1:
            table.add_column(f"ARI mean±sd ({seeds} seeds)", justify="right")
        for column in ("purity", "homog.", "silhouette"):
            table.add_column(column, justify="right")
    has_iis = any(r.iis for r in results)
    if has_iis:
        table.add_column("IIS Spearman", justify="right")
    for name in cluster_names:
        table.add_column(f"{name} ARI", justify="right")
    table.add_column("instr/s", justify="right")

    def row(result: BenchmarkResult | None) -> list[str]:
        if result is None:
            cells = ["random", "", ""]
            source = results[0]
            ict_scores = source.ict.random if source.ict else None
        else:
            settings = result.settings
            cells = [str(settings["model"]), str(settings["prompt"]), str(settings["pooling"])]
            source = result
            ict_scores = result.ict.scores if result.ict else None
        if has_ict:
            cells.append(_fmt(ict_scores.ari if ict_scores else None))
            if seeds > 1:
                spread = (
                    ""
                    if result is None or not result.ict
                    else (f"{result.ict.ari_mean:.3f}±{result.ict.ari_std:.3f}")
                )
                cells.append(spread)
            cells += [
                _fmt(ict_scores.purity if ict_scores else None),
                _fmt(ict_scores.homogeneity if ict_scores else None),
                _fmt(ict_scores.silhouette if ict_scores else None),
            ]
        if has_iis:
            iis = source.iis
            value = None if iis is None else (iis.random_spearman if result is None else iis.spearman)
            cells.append(_fmt(value))
        for name in cluster_names:
            clustering = source.clusters.get(name)
            value = (
                None
                if clustering is None
                else (clustering.random.ari if result is None else clustering.scores.ari)
            )
            cells.append(_fmt(value))
        speed = None if result is None else result.texts_per_second
        cells.append("cached" if result is not None and speed is None else _fmt(speed, 1) if speed else "")
        return cells

    for result in results:
        table.add_row(*row(result))
    table.add_row(*row(None), style="dim")
    iis_results = [r.iis for r in results if r.iis]
    if iis_results:
        table.caption = (
            f"IIS Spearman cannot exceed {iis_results[0].ceiling:.3f} on these 0/1 labels with tie-free "
            "similarities (every positive pair ranked above every negative one)"
        )
    return table


def write_json(results: Sequence[BenchmarkResult], path: str | Path) -> None:
    """All numbers of all settings, for scripts and BENCHMARKS.md."""
    atomic.write_json(Path(path), [r.to_dict() for r in results])


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table of ``rows`` (cells already formatted) under ``header``."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines) + "\n"


def rounded(row: Any, digits: int = 4) -> dict[str, Any]:
    """A dataclass row as a JSON-ready dict, its floats rounded to ``digits`` places."""
    return {k: round(v, digits) if isinstance(v, float) else v for k, v in dataclasses.asdict(row).items()}
