"""A shipped recipe with another base model (a larger encoder, a decoder with LoRA) or other training
settings, judged like the default.

    .venv/bin/python benchmarks/recipe_variants.py --base mpnet-base --seeds 0 1 2          # one row
    .venv/bin/python benchmarks/recipe_variants.py --base smollm2-135m --set lora=true
    .venv/bin/python benchmarks/recipe_variants.py --recipe ieb --base all-minilm-l6-v2 \
        --set bf16=true similar_task_threshold=0.7
    .venv/bin/python benchmarks/recipe_variants.py --markdown                                # the table

Each training seed is one ``run_recipe(recipe, base_model=BASE, seed=S, **SETTINGS)``: the recipe's own
data (training sets only), checkpoint chosen on held-back training tasks, then the shipped form scored
on the whole dev panel over 20 k-means seeds (its card), next to the base it was trained from. A row is
the mean over the training seeds, with their spread, against all-MiniLM-L6-v2 (the default's base: the
ship rule's reference). Runs already in ``--json`` are skipped; trained folders go to
benchmarks/.data/recipe_variants/. Training uses a GPU when torch sees one (the Hugging Face trainer's
choice), else the CPU.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from common import ROOT, script_parser

from pie_embed.benchmark.machine import machine_info, machine_line

SHARED = ROOT.parent / "shared"
RESULTS = ROOT / "benchmarks" / "results" / "recipe_variants.json"
WORK = ROOT / "benchmarks" / ".data" / "recipe_variants"


def device_name() -> str:
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"


def parse_settings(items: list[str]) -> dict[str, Any]:
    """``key=value`` pairs as TrainConfig overrides (values read as JSON where they parse: 0.7, true)."""
    settings: dict[str, Any] = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            settings[key] = json.loads(value)
        except json.JSONDecodeError:
            settings[key] = value
    return settings


def variant_name(recipe: str, base: str, settings: dict[str, Any]) -> str:
    extra = "".join(f" {key}={value}" for key, value in sorted(settings.items()))
    return f"{recipe} on {base}{extra}"


def train_one(recipe: str, base: str, seed: int, settings: dict[str, Any]) -> dict[str, Any]:
    """One training seed of ``recipe`` on ``base`` with ``settings``: its card's panel and the time."""
    from pie_embed.embedding.shipped import read_card
    from pie_embed.training.recipes import RECIPES, run_recipe

    name = variant_name(recipe, base, settings)
    output = WORK / f"{name.replace(' ', '_').replace('=', '-')}-s{seed}"
    started = time.perf_counter()
    result = run_recipe(recipe, data_root=SHARED, output=output, seed=seed, base_model=base, **settings)
    card = read_card(output / f"{RECIPES[recipe].alias}.safetensors")
    return {
        "variant": name,
        "recipe": recipe,
        "base": base,
        "settings": settings,
        "seed": seed,
        "steps": result.steps,
        "train_seconds": card.get("training_run", {}).get("seconds"),
        "command_seconds": round(time.perf_counter() - started, 1),
        "device": device_name(),
        "machine": machine_info(),
        "date": time.strftime("%Y-%m-%d"),
        "card": {key: card[key] for key in ("panel", "training_run", "size_bytes") if key in card},
    }


def minilm_base() -> dict[str, float]:
    """all-MiniLM-L6-v2's 20-seed panel, as the default's card holds it."""
    from pie_embed.embedding.shipped import SHIPPED_MODELS, read_card

    panel = read_card(SHIPPED_MODELS["pie-general"].path)["panel"]
    return {s["set"]: s["mean"] for s in panel["base_scores"]} | {"panel mean": panel["base_panel_mean"]}


def markdown(rows: list[dict[str, Any]]) -> str:
    import numpy as np

    reference = minilm_base()
    sets = list(reference)
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["variant"], []).append(row)
    header = "| variant | training seeds | " + " | ".join(sets) + " | train s |"
    lines = [header, "|---" * (len(sets) + 3) + "|"]
    lines.append(
        "| all-minilm-l6-v2 (untrained) | - | " + " | ".join(f"{reference[s]:.3f}" for s in sets) + " | - |"
    )
    for label, found in groups.items():
        cells = []
        for name in sets:
            values = [
                r["card"]["panel"]["panel_mean"]
                if name == "panel mean"
                else next(s["mean"] for s in r["card"]["panel"]["scores"] if s["set"] == name)
                for r in found
            ]
            spread = f"; seeds ± {np.std(values, ddof=1):.3f}" if len(values) > 1 else ""
            cells.append(f"{np.mean(values):.3f} ({np.mean(values) - reference[name]:+.3f}{spread})")
        seconds = np.mean([r["train_seconds"] or 0 for r in found])
        lines.append(f"| {label} | {len(found)} | " + " | ".join(cells) + f" | {seconds:.0f} |")
    devices = sorted({r["device"] for r in rows})
    lines.append(f"\nTrained on: {', '.join(devices)}; CPU: {machine_line(rows[-1]['machine'])}.")
    return "\n".join(lines)


def main() -> None:
    parser = script_parser(__doc__)
    parser.add_argument("--recipe", default="general")
    parser.add_argument("--base", default="mpnet-base", help="an offline model alias")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--set", nargs="*", default=[], help="TrainConfig overrides, key=value")
    parser.add_argument("--json", type=Path, default=RESULTS)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = json.loads(args.json.read_text()) if args.json.is_file() else []
    if args.markdown:
        print(markdown(rows))
        return
    settings = parse_settings(args.set)
    name = variant_name(args.recipe, args.base, settings)
    for seed in args.seeds:
        key = (name, seed)
        if any((r["variant"], r["seed"]) == key for r in rows):
            print(f"{key}: already measured", flush=True)
            continue
        rows.append(train_one(args.recipe, args.base, seed, settings))
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
        print(f"{key}: panel mean {rows[-1]['card']['panel']['panel_mean']:.3f}", flush=True)
    print(markdown(rows))


if __name__ == "__main__":
    main()
