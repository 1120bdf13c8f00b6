"""Model cards of shipped models: the ship rule, the training-seed summary and the card as Markdown.

A shipped model is chosen from at least :data:`MIN_TRAINING_SEEDS` runs of its recipe (``pie train
--recipe NAME --seed S``), each scored on the dev panel over :data:`~pie_embed.training.shipping.SHIP_SEEDS`
k-means seeds: the run with the median panel mean ships, and its card records every run, the spread
between them (the tolerance a rebuild is held to) and the ship rule's checks.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from pie_embed.errors import DataError

__all__ = [
    "MIN_TRAINING_SEEDS",
    "SHIP_RULE",
    "card_markdown",
    "compare_to_card",
    "data_sources",
    "median_run",
    "rebuild_tolerance",
    "ship_rule_checks",
    "training_seed_summary",
]

MIN_TRAINING_SEEDS = 3
# the default model must clear these against its base (means over >= 20 k-means seeds)
SHIP_RULE = {"panel_gain": 0.03, "max_set_loss": 0.04, "min_ict": 0.55, "min_iis": 0.78}
IIS_CEILING = 0.848  # Spearman against IEB's 0/1 labels cannot exceed this (docs/benchmark.md)

# where each training file comes from and under which licence (the data folders' READMEs)
SOURCES: dict[str, tuple[str, str]] = {
    "sni_train_tasks.jsonl": (
        "Super-NaturalInstructions train tasks: names, definitions (allenai/natural-instructions; "
        "google-research/FLAN constants_niv2.py @e9e4ec6)",
        "Apache-2.0",
    ),
    "selfinstruct_seed_tasks.jsonl": (
        "Self-Instruct seed tasks (yizhongw/self-instruct @0b26cca)",
        "Apache-2.0",
    ),
    "eft_train_unsup.json": (
        "IEB unlabeled training instructions, labeled verb|noun by `pie label` "
        "(Yiwei98/instruction-embedding-benchmark @cecb90f)",
        "no licence file in the source repository",
    ),
    "alpaca_5000.jsonl": ("Stanford Alpaca, 5,000-row sample (tatsu-lab/stanford_alpaca)", "CC BY-NC 4.0"),
    "alpaca_llamafactory_demo.jsonl": (
        "Alpaca-style demo set (hiyouga/LLaMA-Factory)",
        "non-commercial upstream",
    ),
    "codealpaca_2k.jsonl": ("CodeAlpaca 2k (sahil280114/codealpaca)", "CC BY-NC 4.0"),
    "gpteacher.jsonl": ("GPTeacher (teknium1/GPTeacher)", "MIT"),
    "gsm8k.jsonl": ("GSM8K, train split (openai/grade-school-math)", "MIT"),
    "lima.jsonl": ("LIMA training prompts", "non-commercial upstream"),
}


def data_sources(data: dict[str, Any]) -> list[dict[str, str]]:
    """The card's training-data table from a recipe's data record: each file, its role and licence."""
    from pie_embed.training.anchors import ANCHOR_CORPORA

    rows = []
    for name in data.get("other_files", []):
        rows.append({"file": name, "role": "task-labeled pairs (label = task name)"})
    if data.get("ieb_source"):
        count = data.get("ieb_rows") or "all"
        rows.append(
            {"file": data["ieb_source"], "role": f"task-labeled pairs ({count} rows, verb|noun labels)"}
        )
    if data.get("anchor_texts"):
        role = f"anchor texts ({data['anchor_texts']:,} sampled): held close to the base model's vectors"
        rows += [{"file": name, "role": role} for name in ANCHOR_CORPORA]
    for row in rows:
        origin, licence = SOURCES.get(row["file"], ("(not recorded)", "unknown"))
        row.update(origin=origin, licence=licence)
    return rows


def _means(scores: Sequence[dict[str, Any]]) -> dict[str, float]:
    return {str(s["set"]): float(s["mean"]) for s in scores}


def _panel_sets(scores: dict[str, float]) -> list[str]:
    return [name for name in scores if not name.startswith("IEB ")]


def median_run(cards: Sequence[dict[str, Any]]) -> int:
    """The index of the card whose panel mean is the median of at least :data:`MIN_TRAINING_SEEDS`
    runs (the lower middle one for an even count)."""
    if len(cards) < MIN_TRAINING_SEEDS:
        raise DataError(
            f"a shipped model needs at least {MIN_TRAINING_SEEDS} training seeds, got {len(cards)}"
        )
    for card in cards:
        if "panel" not in card:
            raise DataError(f"the run of seed {_seed(card)} has no panel on its card (train with --data)")
    order = sorted(range(len(cards)), key=lambda i: cards[i]["panel"]["panel_mean"])
    return order[(len(order) - 1) // 2]


def _seed(card: dict[str, Any]) -> object:
    return card.get("training_config", {}).get("seed")


def training_seed_summary(cards: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Every run's per-set means, and across runs the standard deviation of each set and of the panel
    mean (sample sd, n - 1)."""
    runs = [
        {
            "seed": _seed(c),
            "panel_mean": c["panel"]["panel_mean"],
            "scores": _means(c["panel"]["scores"]),
            "train_seconds": c.get("training_run", {}).get("seconds"),
        }
        for c in cards
    ]
    sets = list(runs[0]["scores"])
    spread = {name: float(np.std([r["scores"][name] for r in runs], ddof=1)) for name in sets}
    panel_sd = float(np.std([r["panel_mean"] for r in runs], ddof=1))
    return {"runs": runs, "set_sd": spread, "panel_mean_sd": panel_sd}


def rebuild_tolerance(summary: dict[str, Any]) -> dict[str, float]:
    """How far a rebuild (``pie train --recipe``, another machine or seed) may land from the card:
    twice the training-seed sd (at least 0.01), rounded up to 0.005: for the panel mean, ICT and IIS."""

    def twice(sd: float) -> float:
        return math.ceil(round(max(0.01, 2 * sd) / 0.005, 6)) * 0.005

    return {
        "panel_mean": round(twice(summary["panel_mean_sd"]), 3),
        "IEB ICT": round(twice(summary["set_sd"].get("IEB ICT", 0.0)), 3),
        "IEB IIS": round(twice(summary["set_sd"].get("IEB IIS", 0.0)), 3),
    }


def compare_to_card(rebuilt: dict[str, Any], shipped: dict[str, Any]) -> list[tuple[str, bool]]:
    """A rebuild's panel against the shipped card, within the card's tolerance: one line per figure
    (panel mean, ICT, IIS) and whether it is within."""
    tolerance = shipped.get("tolerance") or {}
    if "panel" not in rebuilt or "panel" not in shipped or not tolerance:
        return [("no panel or tolerance to compare with (train with --data holding generalization/)", False)]
    mine, theirs = _means(rebuilt["panel"]["scores"]), _means(shipped["panel"]["scores"])
    mine["panel_mean"], theirs["panel_mean"] = rebuilt["panel"]["panel_mean"], shipped["panel"]["panel_mean"]
    found = []
    for key, allowed in tolerance.items():
        if key in mine and key in theirs:
            delta = mine[key] - theirs[key]
            within = abs(delta) <= allowed + 1e-9
            line = f"{key}: {mine[key]:.3f} vs shipped {theirs[key]:.3f} ({delta:+.3f}, tolerance ±{allowed})"
            found.append((line, within))
    return found


def ship_rule_checks(panel: dict[str, Any]) -> list[dict[str, Any]]:
    """The ship rule on one card's panel: each check with its figures and whether it passes."""
    mine, base = _means(panel["scores"]), _means(panel["base_scores"])
    gain = panel["panel_mean"] - panel["base_panel_mean"]
    checks = [
        {
            "check": f"panel mean >= base + {SHIP_RULE['panel_gain']}",
            "value": f"{panel['panel_mean']:.3f} vs {panel['base_panel_mean']:.3f} ({gain:+.3f})",
            "passed": round(gain, 6) >= SHIP_RULE["panel_gain"],
        }
    ]
    worst = min(_panel_sets(mine), key=lambda name: mine[name] - base[name])
    checks.append(
        {
            "check": f"no dev set below the base by more than {SHIP_RULE['max_set_loss']}",
            "value": f"lowest delta {worst} {mine[worst] - base[worst]:+.3f}",
            "passed": round(mine[worst] - base[worst], 6) >= -SHIP_RULE["max_set_loss"],
        }
    )
    for key, name in (("min_ict", "IEB ICT"), ("min_iis", "IEB IIS")):
        if name in mine:
            checks.append(
                {
                    "check": f"{name} >= {SHIP_RULE[key]}",
                    "value": f"{mine[name]:.3f}",
                    "passed": mine[name] >= SHIP_RULE[key],
                }
            )
    return checks


def card_markdown(card: dict[str, Any], *, front_matter: bool = True) -> str:
    """The card in Hugging Face / sentence-transformers style: front matter (unless appended to another
    README), details, intended use, training data with licences, recipe, every panel figure next to
    the base's, the training-seed spread, the ship rule and the known weaknesses."""
    alias, base = card.get("alias", "?"), card.get("base", "?")
    lines = (
        [
            "---",
            "library_name: pie-embed",
            f"base_model: {card.get('base_model_id', base)}",
            "pipeline_tag: sentence-similarity",
            "tags: [instruction-embedding, task-embedding, sentence-transformers]",
            "---",
            "",
        ]
        if front_matter
        else []
    )
    lines += [f"# {alias}", ""] if front_matter else []  # appended to a README, it is a section
    lines += [
        card.get("description", ""),
        "",
        "## Model details",
        "",
    ]
    if "rank" in card:
        lines.append(
            f"- Base: `{base}` ({card.get('base_version', '?')}); shipped as a rank-{card['rank']} weight "
            f"change over it, inside the package (no download, no training step)"
        )
    lines += [f"- {item}" for item in card.get("details", [])]
    if card.get("size_bytes"):
        lines.append(f"- File: {card['size_bytes'] / 1e6:.1f} MB")
    if card.get("settings"):
        lines.append(f"- Embeds with: {', '.join(f'{k} {v}' for k, v in card['settings'].items())}")
    static = isinstance(card.get("recipe"), dict)  # a static table's card holds its StaticRecipe
    loader = "StaticEncoder" if static else "InstructionEmbedder"
    lines.append(f'- Load: `{loader}("{alias}")`, or `-m {alias}` on any `pie` command')
    if card.get("intended_use"):
        lines += ["", "## Intended use", "", card["intended_use"]]
    if card.get("sources"):
        lines += ["", "## Training data", "", "| file | role | origin | licence |", "|---|---|---|---|"]
        lines += [
            "| " + " | ".join(_cell(s[key]) for key in ("file", "role", "origin", "licence")) + " |"
            for s in card["sources"]
        ]
        if any("non-commercial" in s["licence"] or "NC" in s["licence"] for s in card["sources"]):
            lines += [
                "",
                "Some training texts come from datasets under non-commercial licences (as anchor texts: "
                "the model is held to its base's vectors of them, it does not learn their labels). "
                "Judge whether that matters for your use.",
            ]
    lines += ["", "## Training recipe", ""]
    rebuild = (
        card.get("rebuild_command")
        or f"pie train --recipe {card.get('recipe', '?')} --data ../shared --seed S"
    )
    lines.append(f"Rebuilt by `{rebuild}` (date {card.get('date', '?')}).")
    if card.get("training_config"):
        config = {k: v for k, v in card["training_config"].items() if v not in (None, False, "", [])}
        lines += ["", f"Configuration: `{json.dumps(config, sort_keys=True)}`"]
    if card.get("training_run"):
        lines += ["", f"Run: `{json.dumps(card['training_run'], sort_keys=True)}`"]
    panel = card.get("panel")
    if panel:
        lines += _panel_lines(card, panel)
    if card.get("ship_rule"):
        lines += ["", "## Ship rule", "", "| check | value | passed |", "|---|---|---|"]
        lines += [
            f"| {c['check']} | {c['value']} | {'yes' if c['passed'] else 'no'} |" for c in card["ship_rule"]
        ]
    if card.get("weaknesses"):
        lines += ["", "## Known weaknesses", ""]
        lines += [f"- {item}" for item in card["weaknesses"]]
    return "\n".join(lines).rstrip() + "\n"


def _cell(text: object) -> str:
    """Text for a Markdown table cell (a ``|`` would end the cell)."""
    return str(text).replace("|", "\\|")


def _panel_lines(card: dict[str, Any], panel: dict[str, Any]) -> list[str]:
    seeds = card.get("training_seeds", {})
    spread = seeds.get("set_sd", {})
    base = _means(panel["base_scores"])
    lines = [
        "",
        "## Evaluation: the dev panel",
        "",
        f"Mean ± sd over k-means seeds 0-{panel['seeds'] - 1} (ARI; IIS: Spearman, whose ceiling on IEB's "
        f"0/1 labels is {IIS_CEILING}), fp32. Training-seed sd: the spread of the set's mean over "
        f"{len(seeds.get('runs', [])) or 1} training seeds of the recipe. Panel mean: the mean ARI over the "
        f"{len(_panel_sets(base))} sets other than IEB's.",
        "",
        f"| set | {card.get('alias', 'model')} | {card.get('base', 'base')} | delta | training-seed sd |",
        "|---|---|---|---|---|",
    ]
    for score in panel["scores"]:
        name, mean = score["set"], score["mean"]
        sd = f"{spread[name]:.3f}" if name in spread else "-"
        delta = mean - base[name]
        lines.append(f"| {name} | {mean:.3f} ± {score['sd']:.3f} | {base[name]:.3f} | {delta:+.3f} | {sd} |")
    gain = panel["panel_mean"] - panel["base_panel_mean"]
    panel_sd = f"{seeds['panel_mean_sd']:.3f}" if "panel_mean_sd" in seeds else "-"
    lines.append(
        f"| panel mean | {panel['panel_mean']:.3f} | {panel['base_panel_mean']:.3f} | "
        f"{gain:+.3f} | {panel_sd} |"
    )
    if seeds.get("runs"):
        runs = ", ".join(f"seed {r['seed']} {r['panel_mean']:.3f}" for r in seeds["runs"])
        lines += [
            "",
            f"Training seeds (panel mean): {runs}; shipped: seed {seeds.get('shipped_seed')} (median).",
        ]
    if card.get("tolerance"):
        tolerance = ", ".join(f"{k} ±{v}" for k, v in card["tolerance"].items())
        lines += [
            "",
            f"A rebuild lands within: {tolerance} (twice the training-seed sd, at least 0.01).",
        ]
    machine = panel.get("machine", {})
    if machine:
        flags = machine.get("flags", {})
        has = ", ".join(k for k, v in flags.items() if v) or "none of the listed"
        lacks = ", ".join(k for k, v in flags.items() if not v)
        lines += [
            "",
            f"Measured on: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores; {has}"
            + (f"; no {lacks}" if lacks else "")
            + ".",
        ]
    return lines
