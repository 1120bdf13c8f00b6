"""Tables (rich and Markdown) and the accuracy plot of the downstream benchmarks."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from pie_embed.benchmark.report import markdown_table
from pie_embed.downstream.compression import CompressionResult
from pie_embed.downstream.coverage import CoverageResult
from pie_embed.downstream.icl import BASE_MODEL, ICLResult

__all__ = ["markdown_table"]  # the tables of every benchmark share it


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _signed(low: float, mean: float, high: float) -> str:
    return f"{mean:+.3f} [{low:+.3f}, {high:+.3f}]"


def icl_rows(result: ICLResult) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the overall table: per condition, same-task precision@k and, per LLM, the
    accuracy with its 95% interval and the paired difference to the base model."""
    header = ["condition", f"same-task P@{result.settings.get('k', 4)}"]
    for llm in result.llms:
        header += [f"{llm} accuracy [95% CI]", f"{llm} vs {BASE_MODEL}"]
    rows = []
    for condition in result.conditions:
        cells = [condition, _fmt(result.precision_at_k(condition))]
        for llm in result.llms:
            delta = result.delta(llm, condition)
            cells += [
                str(result.accuracy(llm, condition)),
                _signed(delta.low, delta.mean, delta.high) if delta else "-",
            ]
        rows.append(cells)
    return header, rows


def icl_task_rows(result: ICLResult) -> tuple[list[str], list[list[str]]]:
    """Per task: each condition's accuracy averaged over the LLMs, then its same-task precision."""
    header = ["task", "queries"] + [f"{c} acc / P@k" for c in result.conditions]
    rows = []
    for task in result.tasks:
        n = sum(q["task"] == task for q in result.queries)
        cells = [task, str(n)]
        for condition in result.conditions:
            accuracy = sum(result.accuracy(llm, condition, task).mean for llm in result.llms) / len(
                result.llms
            )
            cells.append(f"{accuracy:.2f} / {_fmt(result.precision_at_k(condition, task), 2)}")
        rows.append(cells)
    return header, rows


def icl_precision_rows(result: ICLResult) -> tuple[list[str], list[list[str]]]:
    """Accuracy by how many of a query's k picks are of its task (every condition with picks, every LLM)."""
    k = int(result.settings.get("k", 4))
    header = [f"same-task picks of {k}", "answers", "accuracy [95% CI]"]
    rows = [
        [f"{round(share * k)}", str(interval.n), str(interval)]
        for share, interval in result.accuracy_by_precision()
    ]
    return header, rows


def coverage_rows(result: CoverageResult) -> tuple[list[str], list[list[str]]]:
    header = ["pool", "selector", "method", "fraction", "n", "tasks covered", "entropy", "largest share"]
    rows = [
        [
            r.pool,
            r.selector,
            r.method,
            f"{r.fraction:.0%}",
            str(r.n),
            f"{r.covered_mean:.1f} ± {r.covered_sd:.1f} / {r.tasks_total}",
            f"{r.entropy_mean:.3f} ± {r.entropy_sd:.3f}",
            f"{r.largest_share_mean:.3f}",
        ]
        for r in result.rows
    ]
    return header, rows


def compression_rows(result: CompressionResult) -> tuple[list[str], list[list[str]]]:
    header = ["selector", "fraction", "queries", "seeds", "accuracy MAE", "Kendall tau"]
    rows = [
        [
            r.selector,
            f"{r.fraction:.0%}",
            str(r.n),
            str(r.seeds),
            f"{r.mae_mean:.4f} ± {r.mae_sd:.4f}",
            f"{r.tau_mean:.3f} ± {r.tau_sd:.3f}",
        ]
        for r in result.rows
    ]
    return header, rows


def rich_table(title: str, header: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=title)
    for name in header:
        table.add_column(name, overflow="fold")
    for cells in rows:
        table.add_row(*cells)
    return table


def plot_icl(result: ICLResult, path: str | Path) -> Path:
    """Accuracy per condition with its 95% interval, one series per LLM (a PNG, matplotlib)."""
    from pie_embed.extras import require_extra

    require_extra("tools")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(1.2 * len(result.conditions) + 2, 4))
    width = 0.8 / len(result.llms)
    for number, llm in enumerate(result.llms):
        intervals = [result.accuracy(llm, c) for c in result.conditions]
        xs = [i + (number - (len(result.llms) - 1) / 2) * width for i in range(len(result.conditions))]
        means = [iv.mean for iv in intervals]
        errors = [[iv.mean - iv.low for iv in intervals], [iv.high - iv.mean for iv in intervals]]
        axis.bar(xs, means, width, yerr=errors, capsize=3, label=llm)
    axis.set_xticks(range(len(result.conditions)), result.conditions, rotation=30, ha="right")
    axis.set_ylabel("exact-match accuracy (95% bootstrap CI)")
    axis.set_title(f"In-context learning on Instruction Induction ({len(result.queries)} queries)")
    axis.legend()
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
