"""Static-tier recipes side by side on the dev panel: what the number of fit passes, the contrastive
weight and the fit seed do to pie-static's quality.

    .venv/bin/python benchmarks/static_recipes.py              # -> benchmarks/results/static_recipes.json
    .venv/bin/python benchmarks/static_recipes.py --markdown   # the BENCHMARKS.md table

Every variant is a :class:`~pie_embed.embedding.static.StaticRecipe` built with
:func:`~pie_embed.training.static.build_static_model` into a scratch cache next to the results (the
teacher's vectors of the fit texts are computed once and read from that cache by the other builds), then
scored as `pie bench --panel` scores a model: IEB ICT and every set of ../shared/generalization as a
mean over ``--seeds`` k-means seeds, IIS, and the panel mean. No dev-panel text is a fit text.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

from pie_embed.benchmark.ieb import load_ieb, run_benchmark
from pie_embed.benchmark.machine import machine_info, machine_line
from pie_embed.benchmark.panel import panel_files, panel_mean, panel_scores
from pie_embed.embedding.static import STATIC_MODELS, StaticRecipe
from pie_embed.training.static import build_static_model, static_corpus

SHARED = Path("../shared")
RESULTS = Path("benchmarks/results/static_recipes.json")
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


def run(seeds: int, only: list[str] | None, json_path: Path) -> list[dict[str, Any]]:
    """Every variant not yet in ``json_path`` (or named by ``only``), the file rewritten after each, so a
    stopped run resumes and ``--only`` replaces just its own rows."""
    data = load_ieb(SHARED / "ieb", panel_files(SHARED / "generalization"))
    texts = static_corpus(SHARED)
    rows = json.loads(json_path.read_text())["variants"] if json_path.exists() else []
    for name, recipe in variants().items():
        wanted = any(part in name for part in only) if only else not any(r["variant"] == name for r in rows)
        if not wanted:
            continue
        started = time.perf_counter()
        folder = build_static_model(recipe, texts=texts, cache_dir=SCRATCH, show_progress=False)
        built = time.perf_counter() - started
        (result,) = run_benchmark(data, models=[str(folder)], seeds=seeds)
        scores = panel_scores(result)
        row = {
            "variant": name,
            "recipe": dataclasses.asdict(recipe),
            "build_s": round(built, 1),
            "scores": {score.set: round(score.mean, 4) for score in scores},
            "panel_mean": round(panel_mean(scores) or 0.0, 4),
        }
        print(json.dumps(row), flush=True)
        rows = [r for r in rows if r["variant"] != name] + [row]
        save(json_path, rows)
    return rows


def save(json_path: Path, rows: list[dict[str, Any]]) -> None:
    json_path.parent.mkdir(parents=True, exist_ok=True)
    result = {"date": time.strftime("%Y-%m-%d"), "machine": machine_info(), "variants": rows}
    json_path.write_text(json.dumps(result, indent=2) + "\n")


def markdown(result: dict[str, Any]) -> str:
    rows = result["variants"]
    names = list(rows[0]["scores"])
    lines = [
        f"CPU: {machine_line(result['machine'])}; {result['date']}",
        "",
        "| variant | " + " | ".join(names) + " | panel mean |",
        "|---" * (len(names) + 2) + "|",
    ]
    for row in rows:
        cells = [f"{row['scores'][name]:.3f}" for name in names]
        lines.append(f"| {row['variant']} | " + " | ".join(cells) + f" | {row['panel_mean']:.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="k-means seeds per set")
    parser.add_argument(
        "--only", nargs="*", help="Rerun the variants whose name contains one of these (default: missing)."
    )
    parser.add_argument("--json", type=Path, default=RESULTS)
    parser.add_argument("--markdown", action="store_true", help="Print the table of the saved results.")
    args = parser.parse_args()
    if args.markdown:
        if not args.json.exists():
            raise SystemExit(f"{args.json}: no results yet; run without --markdown first")
        print(markdown(json.loads(args.json.read_text())))
        return
    run(args.seeds, args.only, args.json)
    print(markdown(json.loads(args.json.read_text())))


if __name__ == "__main__":
    main()
