"""Static-tier recipes side by side on the dev panel: what the number of fit passes, the contrastive
weight and the fit seed do to pie-static's quality.

    .venv/bin/python benchmarks/static_recipes.py              # -> benchmarks/results/static_recipes.json
    .venv/bin/python benchmarks/static_recipes.py --markdown   # the BENCHMARKS.md table

Variants already in the results are skipped (delete a row to measure it again), so a stopped run resumes.

Every variant is a :class:`~pie_embed.embedding.static.StaticRecipe` built with
:func:`~pie_embed.training.static.build_static_model` into a scratch cache next to the results (the
teacher's vectors of the fit texts are computed once and read from that cache by the other builds), then
scored as `pie bench --panel` scores a model: IEB ICT and every set of ../shared/generalization as a
mean over ``--seeds`` k-means seeds, IIS, and the panel mean. No dev-panel text is a fit text.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import parse_args, run_missing, script_parser  # noqa: E402

from pie_embed.benchmark.ieb import IEBData, load_ieb, run_benchmark
from pie_embed.benchmark.machine import machine_line
from pie_embed.benchmark.panel import panel_files, panel_mean, panel_scores
from pie_embed.embedding.static import STATIC_MODELS, StaticRecipe
from pie_embed.training.static import build_static_model, static_corpus

SHARED = Path("../shared")
SCRATCH = Path("benchmarks/.data/static_recipes")


def variants() -> dict[str, StaticRecipe]:
    """The shipped recipe and the changes measured against it, each also with a second fit seed."""
    shipped = STATIC_MODELS["pie-static"]
    changes: dict[str, dict[str, Any]] = {
        "5 passes": {"epochs": 5},
        "10 passes": {"epochs": 10},
        "20 passes": {"epochs": 20},
        "20 passes, contrastive weight 0.5": {"epochs": 20, "contrastive_weight": 0.5},
    }
    chosen: dict[str, StaticRecipe] = {}
    for name, change in changes.items():
        for seed in (0, 1):
            chosen[f"{name}, seed {seed}"] = dataclasses.replace(shipped, **change, seed=seed)
    return chosen


def measure(name: str, data: IEBData, texts: list[str], seeds: int) -> dict[str, Any]:
    """Build variant ``name`` (from the scratch cache's teacher vectors) and score it on the panel."""
    recipe = variants()[name]
    started = time.perf_counter()
    folder = build_static_model(recipe, texts=texts, cache_dir=SCRATCH, show_progress=False)
    built = time.perf_counter() - started
    (result,) = run_benchmark(data, models=[str(folder)], seeds=seeds)
    scores = panel_scores(result)
    return {
        "variant": name,
        "status": 0,
        "recipe": dataclasses.asdict(recipe),
        "build_s": round(built, 1),
        "scores": {score.set: round(score.mean, 4) for score in scores},
        "panel_mean": round(panel_mean(scores) or 0.0, 4),
    }


def panel_markdown(rows: list[dict[str, Any]], columns: dict[str, Callable[[dict[str, Any]], str]]) -> str:
    """Saved panel rows as a Markdown table: the CPUs and dates, then ``columns`` (header -> cell of a
    row), each set's score and the panel mean."""
    names = list(rows[0]["scores"])
    machines = sorted({f"{machine_line(row['machine'])}; {row['date']}" for row in rows})
    lines = [
        *(f"CPU: {machine}" for machine in machines),
        "",
        "| " + " | ".join([*columns, *names]) + " | panel mean |",
        "|---" * (len(columns) + len(names) + 1) + "|",
    ]
    for row in rows:
        cells = [cell(row) for cell in columns.values()] + [f"{row['scores'][name]:.3f}" for name in names]
        lines.append("| " + " | ".join(cells) + f" | {row['panel_mean']:.3f} |")
    return "\n".join(lines)


def markdown(rows: list[dict[str, Any]]) -> str:
    return panel_markdown(rows, {"variant": lambda row: row["variant"]})


def main() -> None:
    parser = script_parser(__doc__, "static_recipes")
    parser.add_argument("--seeds", type=int, default=5, help="k-means seeds per set")
    parser.add_argument("--only", nargs="*", help="Only the variants whose name contains one of these.")
    args = parse_args(parser, markdown)
    names = [name for name in variants() if not args.only or any(part in name for part in args.only)]
    data = load_ieb(SHARED / "ieb", panel_files(SHARED / "generalization"))
    texts = static_corpus(SHARED)
    cases = [{"variant": name} for name in names]
    print(markdown(run_missing(args.json, cases, lambda c: measure(c["variant"], data, texts, args.seeds))))


if __name__ == "__main__":
    main()
