"""The paper's training ablation grid on the official IEB test sets, with the generalization sets.

    .venv/bin/python benchmarks/train_grid.py                    # every row -> results/train_grid.json
    .venv/bin/python benchmarks/train_grid.py --only sup+hn+mask  # one row (both prompts)
    .venv/bin/python benchmarks/train_grid.py --markdown         # the BENCHMARKS.md table

Rows: {no fine-tuning, unsupervised (SimCSE), supervised, + hard negatives, + same-task masking, +
anchoring to the base model on other-source text (pie-embed's addition)} x {no prompt, PIE prompt} on
all-MiniLM-L6-v2 with mean pooling, each trained on the same number of examples from `pie label` on
eft_train_unsup (the recipe's data; IEB test rows left out), plus the SmolLM2-135M decoder with LoRA and
`last-2` pooling. Each row trains and benchmarks in a fresh process. Validation (checkpoint choice) uses
held-back training tasks only; the T0 / SNI-12 columns are measured after training and never feed back
into it.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from common import parse_args, script_parser

from pie_embed.benchmark.machine import machine_info

ROOT = Path(__file__).resolve().parents[1]
IEB = ROOT.parent / "shared" / "ieb"
GENERALIZATION = ROOT.parent / "shared" / "generalization"
T0, SNI = "t0_prompted_instances.jsonl", "sni_test_definitions_12cat.jsonl"

# row name -> TrainConfig overrides (None: no training)
TRAINING: dict[str, dict[str, Any] | None] = {
    "none": None,
    "unsup": {"mode": "unsupervised"},
    "sup": {"hard_negatives": False, "mask_same_task": False},
    "sup+hn": {"hard_negatives": True, "mask_same_task": False},
    "sup+hn+mask": {"hard_negatives": True, "mask_same_task": True},
    "sup+hn+mask+anchor": {"hard_negatives": True, "mask_same_task": True, "anchor_weight": 10.0},
}
# every row: one epoch over its examples, whatever the recipe's own training length is
NO_ANCHOR = {"anchor_weight": 0.0, "similar_task_threshold": None, "epochs": 1.0}
PROMPTS = ("none", "pie")
DECODER = {"base_model": "smollm2-135m", "prompt": "pie", "pooling": "last-2"}


def run_row(row: str, overrides: dict[str, Any] | None, examples: int, generalization: bool) -> dict:
    """Train (unless ``overrides`` is None) and benchmark one row; returns numbers and timings."""
    from pie_embed import InstructionEmbedder
    from pie_embed.benchmark import evaluate, load_ieb
    from pie_embed.training.recipes import run_recipe

    clusters = [GENERALIZATION / T0, GENERALIZATION / SNI] if generalization else []
    data = load_ieb(IEB, clusters)
    train: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="pie-train-grid-") as tmp:
        if overrides is None:
            embedder = InstructionEmbedder("default", prompt=row.split("/")[1], pooling="mean")
        else:
            result = run_recipe(
                "default",
                data_root=IEB.parent,
                output=Path(tmp) / "model",
                show_progress=False,
                max_examples=examples,
                **overrides,
            )
            train = {
                "examples": result.examples,
                "steps": result.steps,
                "seconds": round(result.seconds, 1),
                "bf16": result.bf16,
                "best_validation_ari": result.best_validation_ari,
            }
            embedder = InstructionEmbedder(str(result.output))
        scores = evaluate(embedder, data, cache=None).to_dict()
    return {
        "row": row,
        "settings": scores["settings"],
        "train": train,
        **{k: scores[k] for k in ("ict", "iis")},
        "clusters": scores["clusters"],
    }


def rows(only: list[str] | None) -> list[tuple[str, dict[str, Any] | None]]:
    grid = [
        (f"{name}/{prompt}", None if overrides is None else {**NO_ANCHOR, **overrides, "prompt": prompt})
        for name, overrides in TRAINING.items()
        for prompt in PROMPTS
    ]
    grid.append(("decoder-lora/pie", {**NO_ANCHOR, **DECODER, **TRAINING["sup+hn+mask"]}))  # type: ignore[dict-item]
    return [(row, o) for row, o in grid if not only or row.split("/")[0] in only]


def markdown_table(records: list[dict]) -> str:
    lines = [
        "| training | prompt | ICT ARI | IIS Spearman | T0 ARI | SNI-12 ARI | examples | steps | train s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    order = [row for row, _ in rows(None)]
    for r in sorted(records, key=lambda r: order.index(r["row"]) if r["row"] in order else len(order)):
        name, prompt = r["row"].split("/")
        t = r["train"]

        def ari(file: str, gen: dict = r["clusters"]) -> str:
            return f"{gen[file]['ari']:.3f}" if file in gen else "-"

        lines.append(
            f"| {name} | {prompt} | {r['ict']['ari']:.3f} | {r['iis']['spearman']:.3f} | {ari(T0)} | "
            f"{ari(SNI)} | {t.get('examples', '-')} | {t.get('steps', '-')} | {t.get('seconds', '-')} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = script_parser(__doc__, "train_grid")
    parser.add_argument("--only", nargs="*", help=f"rows to run: {', '.join(TRAINING)}, decoder-lora")
    parser.add_argument("--examples", type=int, default=3000, help="training triplets (or pairs) per row")
    parser.add_argument("--decoder-examples", type=int, default=640)
    parser.add_argument("--no-generalization", action="store_true")
    args = parse_args(parser, markdown_table)
    records = json.loads(args.json.read_text()) if args.json.is_file() else []
    done = {r["row"] for r in records}
    for row, overrides in rows(args.only):
        if row in done:
            print(f"skip (already in {args.json}): {row}", file=sys.stderr)
            continue
        decoder = row.startswith("decoder")
        examples = args.decoder_examples if decoder else args.examples
        if decoder and overrides is not None:
            # a decoder step costs ~1 s per sequence on 2 cores and batch 32 triplets ran out of 24 GB:
            # small batches, and a small validation slice checked once at the end
            overrides = {
                **overrides,
                "batch_size": 8,
                "learning_rate": 2e-4,
                "max_length": 128,
                "eval_steps": 20,
                "validation_share": 0.02,
            }
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            record = pool.submit(run_row, row, overrides, examples, not args.no_generalization).result()
        record["machine"] = machine_info()
        record["date"] = time.strftime("%Y-%m-%d")
        records.append(record)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(records, indent=2) + "\n")
        print(markdown_table([record]).splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
