"""The dev panel: IEB (ICT, IIS) and every task-labeled set of the ``generalization`` data folder, for
models side by side, as means and standard deviations over k-means seeds, with deltas to the first model.

A model is judged on all of it: IEB's `verb|noun` labels and the panel's labels (the dataset a prompt was
made for, an SNI task or category, a chat question's skill, paraphrases of one task) pull in different
directions, and a single seed on a set of 80 rows swings by 0.1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.table import Table

from pie_embed.benchmark.ieb import BenchmarkResult
from pie_embed.errors import ConfigError, DataError

__all__ = ["MIN_PANEL_SEEDS", "PanelScore", "panel_files", "panel_scores", "panel_table"]

MIN_PANEL_SEEDS = 5
PANEL_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")


def panel_files(folder: str | Path) -> list[Path]:
    """The labeled sets of a panel folder (every data file in it, by name)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: panel folder not found")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in PANEL_SUFFIXES)
    if not files:
        raise DataError(f"{folder}: no labeled sets ({', '.join(PANEL_SUFFIXES)}) in the panel folder")
    return files


@dataclass(frozen=True)
class PanelScore:
    """One set's score for one model: the mean and standard deviation over seeds (Spearman for IIS,
    which has no seeds: sd 0), and the score at each k-means seed 0, 1, ..."""

    set: str
    metric: str
    mean: float
    sd: float
    seed_scores: tuple[float, ...] = ()

    def to_dict(self) -> dict[str, object]:
        found: dict[str, object] = {"set": self.set, "metric": self.metric, "mean": self.mean, "sd": self.sd}
        if self.seed_scores:
            found["seed_scores"] = [round(score, 6) for score in self.seed_scores]
        return found


def panel_scores(result: BenchmarkResult) -> list[PanelScore]:
    """ICT, IIS and each clustered set of ``result``, in that order."""
    scores = []
    if result.ict is not None:
        ict = result.ict
        scores.append(PanelScore("IEB ICT", "ARI", ict.ari_mean, ict.ari_std, tuple(ict.seed_aris)))
    if result.iis is not None:
        scores.append(PanelScore("IEB IIS", "Spearman", result.iis.spearman, 0.0))
    for name, clustering in result.clusters.items():
        scores.append(
            PanelScore(
                Path(name).stem, "ARI", clustering.ari_mean, clustering.ari_std, tuple(clustering.seed_aris)
            )
        )
    return scores


def panel_mean(scores: Sequence[PanelScore]) -> float | None:
    """The mean ARI over the panel's own sets (IEB's two tasks are reported apart)."""
    values = [s.mean for s in scores if not s.set.startswith("IEB ")]
    return float(np.mean(values)) if values else None


def check_seeds(seeds: int) -> None:
    if seeds < MIN_PANEL_SEEDS:
        raise ConfigError(
            f"--panel scores means over at least {MIN_PANEL_SEEDS} k-means seeds (got --seeds {seeds}): "
            "one seed on a small set swings by 0.1"
        )


def _model_name(result: BenchmarkResult) -> str:
    settings = result.settings
    name = str(settings["model"])
    extras = [str(settings[key]) for key in ("prompt", "pooling") if settings.get(key) not in (None, "none")]
    return f"{name} ({', '.join(extras)})" if extras else name


def panel_table(results: Sequence[BenchmarkResult], seeds: int) -> Table:
    """Sets as rows, models as columns (mean±sd), each later model's delta to the first, and the panel
    mean; the caption names the seeds and what the panel mean covers."""
    if not results:
        raise ConfigError("no results to show")
    table = Table(title=f"Dev panel: mean ± sd over {seeds} k-means seeds")
    table.add_column("set")
    table.add_column("metric")
    names = [_model_name(r) for r in results]
    for position, name in enumerate(names):
        table.add_column(name, justify="right")
        if position:
            table.add_column(f"Δ {position}", justify="right")
    per_model = [panel_scores(r) for r in results]
    base = {s.set: s for s in per_model[0]}
    for score in per_model[0]:
        cells = [score.set, score.metric]
        for position, scores in enumerate(per_model):
            mine = next((s for s in scores if s.set == score.set), None)
            cells.append("-" if mine is None else f"{mine.mean:.3f}±{mine.sd:.3f}")
            if position:
                cells.append("-" if mine is None else f"{mine.mean - base[score.set].mean:+.3f}")
        table.add_row(*cells)
    means = [panel_mean(scores) for scores in per_model]
    if means[0] is not None:
        cells = ["panel mean", "ARI"]
        for position, value in enumerate(means):
            cells.append("-" if value is None else f"{value:.3f}")
            if position:
                cells.append("-" if value is None else f"{value - means[0]:+.3f}")
        table.add_row(*cells, style="bold")
    table.caption = (
        "Δ n: model n minus the first model. Panel mean: mean ARI over the sets other than IEB's. "
        "IIS Spearman cannot exceed 0.848 on IEB's 0/1 labels."
    )
    return table
