"""`pie dedup` against semhash, the tool its users would pick instead, end to end on the same rows, model,
threshold and machine: read a JSONL file, embed every instruction, remove near-duplicates, write the kept
rows (every field) and the removed ones with what they duplicate.

    bash scripts/install.sh --bench && .venv/bin/pie static build --data ../shared
    .venv/bin/python benchmarks/dedup_scale.py                   # -> results/dedup_scale.json
    .venv/bin/python benchmarks/dedup_scale.py --sizes 100000    # a subset
    .venv/bin/python benchmarks/dedup_scale.py --markdown        # the BENCHMARKS.md table

Both embed with pie-static (semhash's own default, potion-base-8M, comes from the Hugging Face hub, which
these machines cannot reach; any model would do, as long as both use the same one), at cosine 0.95:
- pie: `pie dedup DATA -o OUT -m pie-static -t 0.95` in a fresh process;
- semhash: `SemHash.from_records(rows, columns=["instruction"], model=pie-static)
  .self_deduplicate(0.95)` (semhash 0.5, its default usearch index), then the selected rows and every
  filtered row with its duplicates written as JSONL, as `pie dedup` writes them.
Sizes: ../shared/corpora/alpaca_5000.jsonl (real rows), and embed_scale.py's synthetic rows (a corpora
instruction joined with the first sentence of another) at 100k and 1M. Wall time and peak resident memory
of the process tree (sampled every 0.2 s). Rows already in the JSON are skipped, so a stopped run resumes.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import parse_args, run_missing, run_watched, script_parser  # noqa: E402
from embed_scale import DATA, PIE, synthesise  # noqa: E402

from pie_embed.benchmark.report import markdown_table  # noqa: E402

TOOLS = ("pie", "semhash")
THRESHOLD = 0.95
ALPACA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "alpaca_5000.jsonl"

SEMHASH = """
import json, sys
from semhash import SemHash
from pie_embed.embedding.static import StaticEncoder
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
semhash = SemHash.from_records(rows, columns=["instruction"], model=StaticEncoder("pie-static"))
result = semhash.self_deduplicate(threshold=float(sys.argv[3]))
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.writelines(json.dumps(row, ensure_ascii=False) + "\\n" for row in result.selected)
with open(sys.argv[2] + ".duplicates.jsonl", "w", encoding="utf-8") as out:
    for item in result.filtered:
        explained = {"record": item.record, "duplicate_of": item.duplicate_of, "score": float(item.score)}
        out.write(json.dumps(explained, ensure_ascii=False) + "\\n")
print(json.dumps({"kept": len(result.selected), "removed": len(result.filtered)}))
"""


def source(rows: int) -> Path:
    return ALPACA if rows == 5000 else synthesise(rows)


def measure(tool: str, rows: int, limit_s: float) -> dict[str, Any]:
    data = source(rows)
    out = DATA / f"dedup_{tool}_{rows}"
    out.mkdir(parents=True, exist_ok=True)
    kept = out / "kept.jsonl"
    if tool == "pie":
        command = [PIE, "dedup", str(data), "-o", str(kept), "-m", "pie-static", "-t", str(THRESHOLD)]
    else:
        command = [sys.executable, "-c", SEMHASH, str(data), str(kept), str(THRESHOLD)]
    status, seconds, peak, output = run_watched(command, limit_s)
    row: dict[str, Any] = {
        "tool": tool,
        "rows": rows,
        "input": data.name,
        "status": status,
        "seconds": round(seconds, 1),
        "peak_rss_gb": round(peak / 1e9, 2),
        "log": [line for line in output.strip().splitlines() if not line.startswith("WARNING")][-3:],
    }
    if status == 0:
        row["kept"] = sum(1 for line in kept.open(encoding="utf-8") if line.strip())
    return row


def markdown(results: list[dict[str, Any]]) -> str:
    by = {(r["tool"], r["rows"]): r for r in results}
    header = [
        "rows",
        "input",
        "tool",
        "time (s)",
        "peak RSS (GB)",
        "kept",
        "time vs semhash",
        "memory vs semhash",
    ]
    table = []
    for r in sorted(results, key=lambda r: (r["rows"], TOOLS.index(r["tool"]))):
        other = by.get(("semhash", r["rows"]))
        ratio = other and other["status"] == 0 and r["status"] == 0 and r["tool"] == "pie"
        table.append(
            [
                f"{r['rows']:,}",
                r["input"],
                "`pie dedup`" if r["tool"] == "pie" else "semhash 0.5",
                str(r["seconds"]) if r["status"] == 0 else f"failed ({r['status']})",
                str(r["peak_rss_gb"]),
                f"{r['kept']:,}" if "kept" in r else "",
                f"{r['seconds'] / other['seconds']:.2f}x" if ratio else "",
                f"{r['peak_rss_gb'] / other['peak_rss_gb']:.2f}x" if ratio else "",
            ]
        )
    return markdown_table(header, table)


def main() -> None:
    parser = script_parser(__doc__, "dedup_scale")
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 100_000, 1_000_000])
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    parser.add_argument("--limit-s", type=float, default=1200)
    args = parse_args(parser, markdown)
    cases = [{"rows": rows, "tool": tool} for rows in args.sizes for tool in args.tools]
    print(markdown(run_missing(args.json, cases, lambda c: measure(c["tool"], c["rows"], args.limit_s))))


if __name__ == "__main__":
    main()
