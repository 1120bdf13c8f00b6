"""IEB scores, speed and peak memory for the offline models, each setting in a fresh process.

    .venv/bin/python benchmarks/ieb_grid.py        # all groups; appends to benchmarks/results/ieb_grid.json
    .venv/bin/python benchmarks/ieb_grid.py --only minilm                            # one group

Embeddings are not cached, so instructions/s is a real measurement; peak memory is the child
process's maximum RSS. ARI is at the reference seed 0, with the mean and sd over 5 k-means seeds.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from common import parse_args, script_parser

from pie_embed.benchmark.machine import machine_info

ROOT = Path(__file__).resolve().parents[1]
IEB = ROOT.parent / "shared" / "ieb"
GENERALIZATION = ROOT.parent / "shared" / "generalization"

GRID: dict[str, list[tuple[str, str, str]]] = {
    "minilm": [
        ("default", prompt, pooling) for prompt in ("none", "pie", "pie-short") for pooling in ("mean", "cls")
    ],
    "mpnet": [("mpnet-base", "none", "mean")],
    "gemma": [("gemma3-270m", "pie", "last-2"), ("gemma3-270m", "pie", "last-2-norm")],
    "smollm2": [("smollm2-135m", "pie", "last-2"), ("smollm2-135m", "pie", "last-2-norm")],
}


def run_one(model: str, prompt: str, pooling: str, seeds: int, with_generalization: bool) -> dict:
    """Load the model, run IEB (and the generalization sets), return numbers and resources."""
    import torch

    from pie_embed import InstructionEmbedder
    from pie_embed.benchmark import evaluate, load_ieb

    torch.set_num_threads(torch.get_num_threads())
    started = time.perf_counter()
    embedder = InstructionEmbedder(model, prompt=prompt, pooling=pooling, batch_size=32)
    load_seconds = time.perf_counter() - started
    clusters = []
    if with_generalization:
        clusters = sorted(GENERALIZATION.glob("*.jsonl"))
    result = evaluate(embedder, load_ieb(IEB, clusters), cache=None, seeds=seeds)
    record = result.to_dict()
    record["load_seconds"] = load_seconds
    ieb = [record["timings"][name] for name in ("ict", "iis")]
    record["ieb_texts_per_second"] = sum(t["embedded"] for t in ieb) / sum(t["seconds"] for t in ieb)
    record["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return record


def markdown_table(records: list[dict]) -> str:
    """The BENCHMARKS.md table of saved records."""
    lines = [
        "| model | prompt | pooling | ICT ARI (seed 0) | ARI mean±sd, 5 seeds | IIS Spearman "
        "| T0 ARI | SNI-12 ARI | instr/s (IEB) | peak RSS MB | load s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    models = [model for group in GRID.values() for model, _, _ in group]
    models = ["all-minilm-l6-v2" if m == "default" else m for m in dict.fromkeys(models)]
    prompts = ["none", "pie", "pie-short"]

    def order(r: dict) -> tuple:
        s = r["settings"]
        return (
            models.index(s["model"]) if s["model"] in models else len(models),
            s["model"],
            prompts.index(s["prompt"]) if s["prompt"] in prompts else len(prompts),
            s["pooling"] != "mean",
        )

    for r in sorted(records, key=order):
        s, ict, iis, gen = r["settings"], r["ict"], r["iis"], r["clusters"]

        def ari(name: str, clusters: dict = gen) -> str:
            return f"{clusters[name]['ari']:.3f}" if name in clusters else "-"

        lines.append(
            f"| {s['model']} | {s['prompt']} | {s['pooling']} | {ict['ari']:.3f} | "
            f"{ict['ari_mean']:.3f}±{ict['ari_std']:.3f} | {iis['spearman']:.3f} | "
            f"{ari('t0_prompted_instances.jsonl')} | {ari('sni_test_definitions_12cat.jsonl')} | "
            f"{r['ieb_texts_per_second']:.1f} | {r['peak_rss_mb']:.0f} | {r['load_seconds']:.1f} |"
        )
    first = records[0]
    lines.append(
        f"| random | | | {first['ict']['random']['ari']:.3f} | | {first['iis']['random_spearman']:.3f} | "
        f"{first['clusters'].get('t0_prompted_instances.jsonl', {}).get('random', {}).get('ari', 0):.3f} | "
        f"{first['clusters'].get('sni_test_definitions_12cat.jsonl', {}).get('random', {}).get('ari', 0):.3f}"
        " | | | |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = script_parser(__doc__, "ieb_grid")
    parser.add_argument("--only", nargs="*", choices=list(GRID), help="groups to run (default: all)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--no-generalization", action="store_true")
    args = parse_args(parser, markdown_table)
    records = json.loads(args.json.read_text()) if args.json.is_file() else []
    done = {(r["settings"]["model"], r["settings"]["prompt"], r["settings"]["pooling"]) for r in records}
    for group in args.only or list(GRID):
        for model, prompt, pooling in GRID[group]:
            key_model = "all-minilm-l6-v2" if model == "default" else model
            if (key_model, prompt, pooling) in done:
                print(f"skip (already in {args.json}): {model} {prompt} {pooling}", file=sys.stderr)
                continue
            with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
                record = pool.submit(
                    run_one, model, prompt, pooling, args.seeds, not args.no_generalization
                ).result()
            record["machine"] = machine_info()
            record["date"] = time.strftime("%Y-%m-%d")
            records.append(record)
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(records, indent=2) + "\n")
            ict, iis = record["ict"], record["iis"]
            gen = " ".join(f"{k}={v['ari']:.3f}" for k, v in record["clusters"].items())
            print(
                f"{model:<14} {prompt:<10} {pooling:<12} ARI {ict['ari']:.3f} "
                f"({ict['ari_mean']:.3f}±{ict['ari_std']:.3f}) IIS {iis['spearman']:.3f} {gen} "
                f"{record['ieb_texts_per_second']:.1f} instr/s, peak {record['peak_rss_mb']:.0f} MB",
                flush=True,
            )


if __name__ == "__main__":
    main()
