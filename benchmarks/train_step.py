"""Time of one training step of the recipes' shape in fp32 and in bf16 autocast, side by side.

    .venv/bin/python benchmarks/train_step.py              # -> benchmarks/results/train_step.json
    .venv/bin/python benchmarks/train_step.py --steps 12
    .venv/bin/python benchmarks/train_step.py --model mpnet-base --steps 3 \
        --json benchmarks/results/train_step_mpnet.json

all-MiniLM-L6-v2 (or ``--model``, an offline alias) with sentence-transformers' multiple-negatives loss,
batch 64, max length 128, AdamW:
the shape of the ``general`` recipe's steps. Rounds alternate fp32 / bf16 / fp32 so drift shows; each
reports the median of its steps after two warm-up steps. The ratio tells how long a recipe measured in
bf16 trains on a CPU without native bf16 (``TrainConfig.bf16=False``, what ``bf16=None`` picks there).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import torch
from common import script_parser

from pie_embed.benchmark.machine import machine_info, machine_line
from pie_embed.data.readers import read_instructions
from pie_embed.embedding.offline import OFFLINE_MODELS
from pie_embed.paths import cache_dir

TEXTS = Path("../shared/ieb/eft_train_unsup.json")


def step_seconds(folder: Path, texts: list[str], bf16: bool, steps: int, batch_size: int) -> float:
    """Median seconds per training step after two warm-up steps."""
    from sentence_transformers import SentenceTransformer, losses

    torch.manual_seed(0)
    model = SentenceTransformer(str(folder), device="cpu")
    model.max_seq_length = 128
    loss = losses.MultipleNegativesRankingLoss(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)
    times = []
    for step in range(steps + 2):
        batch = texts[step * batch_size : (step + 1) * batch_size]
        anchors, positives = model.preprocess(batch), model.preprocess(batch[::-1])
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            value = loss([anchors, positives], None)
        value.backward()
        optimizer.step()
        optimizer.zero_grad()
        times.append(time.perf_counter() - start)
    return statistics.median(times[2:])


def main() -> None:
    parser = script_parser(__doc__)
    parser.add_argument("--model", default="all-minilm-l6-v2", help="an offline encoder alias")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/train_step.json"))
    args = parser.parse_args()
    texts = read_instructions(TEXTS).texts
    from pie_embed.embedding.models import ALIASES

    folder = OFFLINE_MODELS[ALIASES.get(args.model, args.model)].locate(cache_dir() / "models").path
    rounds: list[dict[str, Any]] = []
    for bf16 in (False, True, False):
        seconds = step_seconds(folder, texts, bf16, args.steps, args.batch_size)
        rounds.append({"precision": "bf16" if bf16 else "fp32", "s_per_step": round(seconds, 3)})
        print(f"{rounds[-1]['precision']}: {seconds:.2f} s/step", flush=True)
    fp32 = statistics.mean(r["s_per_step"] for r in rounds if r["precision"] == "fp32")
    bf16 = rounds[1]["s_per_step"]
    result = {
        "model": args.model,
        "machine": machine_info(),
        "rounds": rounds,
        "fp32_over_bf16": round(fp32 / bf16, 2),
    }
    print(f"fp32 / bf16 = {fp32 / bf16:.2f}  ({machine_line()})")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
