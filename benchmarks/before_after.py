"""The same commands on an earlier revision and on this tree, in one run, taking turns: did a change make
anything slower or hungrier?

    .venv/bin/python benchmarks/before_after.py --before 8f103b8          # -> results/before_after.json
    .venv/bin/python benchmarks/before_after.py --before 8f103b8 --only embed-static-shards --rounds 3
    .venv/bin/python benchmarks/before_after.py --markdown

The earlier revision is checked out (``git worktree``) into benchmarks/.data/rev-<sha>/ and run from this
environment with its ``src/`` first on ``PYTHONPATH``, so both sides use the same installed packages and
models. Each case runs ``--rounds`` times per side, before and after alternating, the order swapped each
round (the second of a pair ran up to 9% slower on 2026-12-07, whichever side it was; this machine's speed
drifts); a row holds each side's median seconds and peak resident memory of the whole process tree, and
their ratio. Inputs are embed_scale.py's synthetic rows (benchmarks/.data/, git-ignored).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import ROOT, parse_args, run_watched, script_parser
from embed_scale import DATA, PIE, synthesise

from pie_embed.benchmark.machine import machine_info
from pie_embed.benchmark.report import markdown_table

# IEB's 3,291 ICT instructions through InstructionEmbedder.encode, in-process: the encode path itself
ENCODE = """
import json, sys, time
from pie_embed import InstructionEmbedder
from pie_embed.data.readers import read_instructions
texts = read_instructions(sys.argv[1]).texts
embedder = InstructionEmbedder("default", precision=sys.argv[2])
embedder.encode(texts[:64])
started = time.perf_counter()
embedder.encode(texts)
print(json.dumps({"texts_per_s": round(len(texts) / (time.perf_counter() - started), 1)}))
"""


def cases(out: Path) -> dict[str, list[str]]:
    """Each case's command (run once per side and round; ``out`` is emptied before each run)."""
    rows_100k, rows_1m, rows_10k = synthesise(100_000), synthesise(1_000_000), synthesise(10_000)
    ieb = ROOT.parent / "shared" / "ieb" / "eft_test.json"
    return {
        "encode-fp32": [sys.executable, "-c", ENCODE, str(ieb), "fp32"],
        "encode-auto": [sys.executable, "-c", ENCODE, str(ieb), "auto"],
        "embed-static-shards-100k": [PIE, "embed", str(rows_100k), "-o", f"{out}/", "-m", "pie-static"],
        "embed-static-file-100k": [
            PIE,
            "embed",
            str(rows_100k),
            "-o",
            str(out / "v.npy"),
            "-m",
            "pie-static",
        ],
        "embed-default-shards-10k": [PIE, "embed", str(rows_10k), "-o", f"{out}/"],
        "embed-ray-10k": [PIE, "embed", str(rows_10k), "-o", f"{out}/", "--engine", "ray", "--workers", "2"],
        "select-fast-1m": [
            PIE,
            "select",
            str(rows_1m),
            "-n",
            "10000",
            "--dedup",
            "0.95",
            "--fast",
            "--no-labels",
            "-o",
            str(out / "s.jsonl"),
        ],  # fmt: skip
    }


def worktree(revision: str) -> Path:
    """The source tree of ``revision``, checked out once into benchmarks/.data/."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", revision], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    folder = DATA / f"rev-{sha}"
    if not (folder / "src" / "pie_embed").is_dir():
        subprocess.run(["git", "worktree", "add", "--force", str(folder), sha], check=True, cwd=ROOT)
    return folder


def run_side(command: list[str], source: Path | None, out: Path, limit_s: float) -> dict[str, Any]:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if source is not None:
        env["PYTHONPATH"] = str(source / "src")  # the earlier tree's pie_embed, before the installed one
    status, seconds, peak, log = run_watched(command, limit_s, env)
    if "ray" in command:
        subprocess.run([str(Path(sys.executable).with_name("ray")), "stop", "--force"], capture_output=True)
    last = log.strip().splitlines()[-1:] if log.strip() else []
    return {"status": status, "seconds": round(seconds, 2), "peak_rss_gb": round(peak / 1e9, 3), "log": last}


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def markdown(rows: list[dict[str, Any]]) -> str:
    header = ["case", "before s", "after s", "after / before (time)", "before GB", "after GB", "status"]
    cells = [
        [
            r["case"],
            f"{r['before_s']}",
            f"{r['after_s']}",
            f"{r['time_ratio']:.3f}",
            f"{r['before_gb']}",
            f"{r['after_gb']}",
            "ok" if r["ok"] else "failed",
        ]
        for r in rows
    ]
    return markdown_table(header, cells)


def main() -> None:
    parser = script_parser(__doc__, "before_after")
    parser.add_argument(
        "--before", default="8f103b8", help="the earlier revision (default: before the refactor)"
    )
    parser.add_argument("--only", nargs="*", help="cases to run (default: all)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--limit-s", type=float, default=900)
    args = parse_args(parser, markdown)
    before = worktree(args.before)
    out = DATA / "before_after_out"
    rows = []
    for name, command in cases(out).items():
        if args.only and name not in args.only:
            continue
        runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
        sides: tuple[tuple[str, Path | None], ...] = (("before", before), ("after", None))
        for round_number in range(args.rounds):
            # the first of a pair runs on a cooler machine: swap the order every round (ABBA)
            for side, source in sides if round_number % 2 == 0 else sides[::-1]:
                runs[side].append(run_side(command, source, out, args.limit_s))
                print(name, side, runs[side][-1], flush=True)
        seconds = {side: median([r["seconds"] for r in found]) for side, found in runs.items()}
        peak = {side: max(r["peak_rss_gb"] for r in found) for side, found in runs.items()}
        rows.append(
            {
                "case": name,
                "before": args.before,
                "before_s": seconds["before"],
                "after_s": seconds["after"],
                "time_ratio": round(seconds["after"] / seconds["before"], 3),
                "before_gb": peak["before"],
                "after_gb": peak["after"],
                "ok": all(r["status"] == 0 for found in runs.values() for r in found),
                "runs": runs,
                "date": time.strftime("%Y-%m-%d"),
                "machine": machine_info(),
            }
        )
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    print(markdown(rows))


if __name__ == "__main__":
    main()
