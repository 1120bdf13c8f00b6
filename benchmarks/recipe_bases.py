"""A shipped recipe on another base model (a larger encoder, a decoder with LoRA), judged like the default.

    .venv/bin/python benchmarks/recipe_bases.py --base mpnet-base --seeds 0 1 2            # one row
    .venv/bin/python benchmarks/recipe_bases.py --base smollm2-135m --lora --seeds 0 1 2
    .venv/bin/python benchmarks/recipe_bases.py --markdown                                  # the table

Each training seed is one ``run_recipe(recipe, base_model=BASE, seed=S)``: the recipe's own data (training
sets only), checkpoint chosen on held-back training tasks, then the shipped form scored on the whole dev
panel over 20 k-means seeds (its card), next to the base it was trained from. A row is the mean over the
training seeds, with their spread, against all-MiniLM-L6-v2 (the default's base: the ship rule's
reference). Runs already in ``--json`` are skipped; trained folders go to benchmarks/.data/recipe_bases/.
Training uses a GPU when torch sees one (the Hugging Face trainer's choice), else the CPU.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from common import ROOT, script_parser

from pie_embed.benchmark.machine import machine_info, machine_line

SHARED = ROOT.parent / "shared"
RESULTS = ROOT / "benchmarks" / "results" / "recipe_bases.json"
WORK = ROOT / "benchmarks" / ".data" / "recipe_bases"


def device_name() -> str:
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"


def train_one(recipe: str, base: str, seed: int, lora: bool, bf16: bool | None) -> dict[str, Any]:
    """One training seed of ``recipe`` on ``base``: its card's panel and the training's time."""
    from pie_embed.embedding.shipped import read_card
    from pie_embed.training.recipes import RECIPES, run_recipe

    name = f"{recipe}-{base}{'-lora' if lora else ''}-s{seed}"
    output = WORK / name
    started = time.perf_counter()
    result = run_recipe(
        recipe, data_root=SHARED, output=output, seed=seed, base_model=base, lora=lora, bf16=bf16
    )
    card = read_card(output / f"{RECIPES[recipe].alias}.safetensors")
    return {
        "recipe": recipe,
        "base": base,
        "lora": lora,
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
    groups: dict[tuple[str, str, bool], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["recipe"], row["base"], row["lora"]), []).append(row)
    header = "| recipe on base | seeds | " + " | ".join(sets) + " | train s |"
    lines = [header, "|---" * (len(sets) + 3) + "|"]
    lines.append(
        "| all-minilm-l6-v2 (untrained) | - | " + " | ".join(f"{reference[s]:.3f}" for s in sets) + " | - |"
    )
    for (recipe, base, lora), found in groups.items():
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
        label = f"{recipe} on {base}{' (LoRA)' if lora else ''}"
        lines.append(f"| {label} | {len(found)} | " + " | ".join(cells) + f" | {seconds:.0f} |")
    devices = sorted({r["device"] for r in rows})
    lines.append(f"\nTrained on: {', '.join(devices)}; CPU: {machine_line(rows[-1]['machine'])}.")
    return "\n".join(lines)


def main() -> None:
    parser = script_parser(__doc__)
    parser.add_argument("--recipe", default="general")
    parser.add_argument("--base", default="mpnet-base", help="an offline model alias")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--lora", action="store_true", help="LoRA adapters instead of full fine-tuning")
    parser.add_argument("--bf16", action=__import__("argparse").BooleanOptionalAction, default=None)
    parser.add_argument("--json", type=Path, default=RESULTS)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = json.loads(args.json.read_text()) if args.json.is_file() else []
    if args.markdown:
        print(markdown(rows))
        return
    for seed in args.seeds:
        key = (args.recipe, args.base, args.lora, seed)
        if any((r["recipe"], r["base"], r["lora"], r["seed"]) == key for r in rows):
            print(f"{key}: already measured", flush=True)
            continue
        rows.append(train_one(args.recipe, args.base, seed, args.lora, args.bf16))
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
        print(f"{key}: panel mean {rows[-1]['card']['panel']['panel_mean']:.3f}", flush=True)
    print(markdown(rows))


if __name__ == "__main__":
    main()
