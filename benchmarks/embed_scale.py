"""`pie embed` at 10k / 100k / 1M instructions: time, throughput and peak memory for each engine.

    .venv/bin/python benchmarks/embed_scale.py             # -> benchmarks/results/embed_scale.json
    .venv/bin/python benchmarks/embed_scale.py --sizes 10000 100000 --engines local ray
    .venv/bin/python benchmarks/embed_scale.py --markdown

Inputs are synthesised once into benchmarks/.data/ (git-ignored): each row joins the instruction of one
random ../shared/corpora row with the first sentence of another, so nearly every row is a distinct text
(duplicates would be embedded once and flatter the numbers). Each run is a fresh `pie embed` process
writing a shard folder (local) or Parquet (ray, --workers 2 on a local Ray); peak RSS is the largest
resident size of the process tree, sampled every 0.2 s (Ray's actors included). Rows already in the JSON
are skipped, so the script can be stopped and rerun.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from common import parse_args, run_missing, run_watched, script_parser

from pie_embed.benchmark.report import markdown_table

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora"
DATA = ROOT / "benchmarks" / ".data"
PIE = str(Path(sys.executable).with_name("pie"))
ENGINES = {"local": [], "ray": ["--engine", "ray", "--workers", "2"]}


def instructions() -> list[str]:
    found = []
    for path in sorted(CORPORA.glob("*.jsonl")):
        for line in path.open(encoding="utf-8"):
            row = json.loads(line)
            text = row.get("instruction") or row.get("prompt") or row.get("question") or row.get("text")
            if isinstance(text, str) and 5 <= len(text) <= 400:
                found.append(" ".join(text.split()))
    return found


def synthesise(rows: int) -> Path:
    path = DATA / f"instructions_{rows}.jsonl"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    pool = instructions()
    rng = random.Random(rows)
    temp = path.with_suffix(".tmp")
    with temp.open("w", encoding="utf-8") as stream:
        for i in range(rows):
            first, second = rng.choice(pool), rng.choice(pool)
            clause = second.split(". ")[0].rstrip(".")
            stream.write(json.dumps({"id": i, "instruction": f"{first} {clause}."}) + "\n")
    temp.rename(path)
    return path


def measure(rows: int, engine: str, limit_s: float) -> dict[str, Any]:
    source = synthesise(rows)
    output = DATA / f"out_{engine}_{rows}"
    shutil.rmtree(output, ignore_errors=True)
    command = [PIE, "embed", str(source), "-o", f"{output}/", *ENGINES[engine]]
    status, seconds, peak, log = run_watched(command, limit_s)
    if engine == "ray":
        subprocess.run([str(Path(sys.executable).with_name("ray")), "stop", "--force"], capture_output=True)
    shutil.rmtree(output, ignore_errors=True)
    return {
        "rows": rows,
        "engine": engine,
        "status": status,
        "seconds": round(seconds, 1),
        "rows_per_s": round(rows / seconds, 1),
        "peak_rss_gb": round(peak / 1e9, 2),
        "log": log.strip().splitlines()[-1:] if log else [],
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip(),
    }


def markdown(rows: list[dict[str, Any]]) -> str:
    header = ["rows", "engine", "time (s)", "rows/s", "peak RSS (GB)", "status"]
    cells = [
        [f"{r['rows']:,}", r["engine"], r["seconds"], r["rows_per_s"], r["peak_rss_gb"], r["status"] or "ok"]
        for r in rows
    ]
    return markdown_table(header, [[str(c) for c in row] for row in cells])


def main() -> None:
    parser = script_parser(__doc__, "embed_scale")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--engines", nargs="+", choices=list(ENGINES), default=list(ENGINES))
    parser.add_argument("--limit-s", type=float, default=3600)
    args = parse_args(parser, markdown)
    cases = [{"rows": rows, "engine": engine} for rows in args.sizes for engine in args.engines]
    print(markdown(run_missing(args.json, cases, lambda c: measure(c["rows"], c["engine"], args.limit_s))))


if __name__ == "__main__":
    main()
