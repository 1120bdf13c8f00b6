"""The static tier at scale: `pie select --dedup`, `pie map` and `pie correlate` on 100k and 1M rows
with --fast (pie-static), against semhash's near-duplicate removal on the same static model.

    bash scripts/install.sh --bench && .venv/bin/pie static build --data ../shared
    .venv/bin/python benchmarks/static_scale.py                  # -> results/static_scale.json
    .venv/bin/python benchmarks/static_scale.py --sizes 100000   # a subset
    .venv/bin/python benchmarks/static_scale.py --markdown       # the BENCHMARKS.md table

Inputs are embed_scale.py's synthetic rows (benchmarks/.data/, git-ignored): an instruction of a
../shared/corpora row joined with the first sentence of another. Every run is a fresh process: wall time
and peak resident memory of its process tree (sampled every 0.2 s), so reading the file, embedding, the
index and the output are all counted. Jobs:
- select: `pie select DATA -n 10000 --dedup 0.95 --fast --no-labels` (embed + dedup + k-means, one command)
- map: `pie map DATA --fast --color cluster --projection pca` (k-means over all rows, 20k drawn)
- correlate: `pie correlate FIRST_HALF SECOND_HALF --fast` (the file cut in two)
- dedup-pie / dedup-semhash: near-duplicate removal alone at cosine 0.95, both embedding with pie-static
  in-process: pie-embed's `dedup_filter` against `SemHash.from_records(...).self_deduplicate(0.95)`
  (its default usearch index); the kept counts are compared.
Rows already in the JSON are skipped, so the script can be stopped and rerun.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import parse_args, run_missing, run_watched, script_parser  # noqa: E402
from embed_scale import DATA, PIE, synthesise  # noqa: E402

from pie_embed.benchmark.report import markdown_table  # noqa: E402

JOBS = ("select", "map", "correlate", "dedup-pie", "dedup-semhash")

DEDUP = """
import json, sys, time
from pie_embed.embedding.static import StaticEncoder
texts = [json.loads(line)["instruction"] for line in open(sys.argv[1], encoding="utf-8")]
encoder = StaticEncoder("pie-static")
started = time.perf_counter()
if sys.argv[2] == "pie":
    from pie_embed.tools.dedup import dedup_filter
    from pie_embed.embedding.normalize import unit_rows
    kept = len(dedup_filter(unit_rows(encoder.encode(texts), in_place=True), 0.95)[0].kept)
else:
    from semhash import SemHash
    kept = len(SemHash.from_records(texts, model=encoder).self_deduplicate(threshold=0.95).selected)
print(json.dumps({"kept": kept, "in_process_s": round(time.perf_counter() - started, 1)}))
"""


def halves(source: Path) -> tuple[Path, Path]:
    first, second = (source.with_name(f"{source.stem}_{half}.jsonl") for half in ("first", "second"))
    if not second.exists():
        lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
        first.write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
        second.write_text("".join(lines[len(lines) // 2 :]), encoding="utf-8")
    return first, second


def command(job: str, source: Path, out: Path) -> list[str]:
    if job == "select":
        return [
            PIE,
            "select",
            str(source),
            "-n",
            "10000",
            "--dedup",
            "0.95",
            "--fast",
            "--no-labels",
            "-o",
            str(out / "s.jsonl"),
        ]
    if job == "map":
        return [
            PIE,
            "map",
            str(source),
            "-o",
            str(out / "m.html"),
            "--fast",
            "--color",
            "cluster",
            "--projection",
            "pca",
        ]
    if job == "correlate":
        return [PIE, "correlate", *map(str, halves(source)), "-o", str(out), "--fast"]
    return [sys.executable, "-c", DEDUP, str(source), job.split("-")[1]]


def measure(job: str, rows: int, limit_s: float) -> dict[str, Any]:
    source = synthesise(rows)
    out = DATA / f"static_{job}_{rows}"
    out.mkdir(parents=True, exist_ok=True)
    status, seconds, peak, output = run_watched(command(job, source, out), limit_s)
    log = output.strip().splitlines()
    row: dict[str, Any] = {
        "job": job,
        "rows": rows,
        "status": status,
        "seconds": round(seconds, 1),
        "peak_rss_gb": round(peak / 1e9, 2),
        "log": [line for line in log if not line.startswith("WARNING")][-3:],
    }
    if job.startswith("dedup") and status == 0:
        row.update(json.loads(log[-1]))
    return row


def markdown(results: list[dict[str, Any]]) -> str:
    def status(r: dict[str, Any]) -> str:
        return (
            "ok"
            if r["status"] == 0
            else f"stopped at {r['seconds']} s"
            if r["status"] == -9
            else str(r["status"])
        )

    header = ["job", "rows", "time (s)", "peak RSS (GB)", "kept after dedup", "status"]
    rows = [
        [
            r["job"],
            f"{r['rows']:,}",
            str(r["seconds"]),
            str(r["peak_rss_gb"]),
            f"{r['kept']:,}" if "kept" in r else "",
            status(r),
        ]
        for r in sorted(results, key=lambda r: (r["rows"], JOBS.index(r["job"])))
    ]
    return markdown_table(header, rows)


def main() -> None:
    parser = script_parser(__doc__, "static_scale")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--jobs", nargs="+", choices=JOBS, default=list(JOBS))
    parser.add_argument("--limit-s", type=float, default=900)
    args = parse_args(parser, markdown)
    cases = [{"rows": rows, "job": job} for rows in args.sizes for job in args.jobs]
    print(markdown(run_missing(args.json, cases, lambda c: measure(c["job"], c["rows"], args.limit_s))))


if __name__ == "__main__":
    main()
