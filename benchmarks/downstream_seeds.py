"""Pool in-context-learning runs of several split seeds into one table (intervals over all queries).

    .venv/bin/pie bench --downstream icl --seed 0 --out runs/icl-s0
    .venv/bin/pie bench --downstream icl --seed 1 --out runs/icl-s1
    .venv/bin/python benchmarks/downstream_seeds.py runs/icl-s0 runs/icl-s1     # Markdown on stdout

Only the conditions and LLMs that every run has are pooled; each run's own table is its `icl.md`.
"""

from __future__ import annotations

from pathlib import Path

from common import script_parser

from pie_embed.benchmark.report import markdown_table
from pie_embed.downstream.icl import ICLResult, pool_results
from pie_embed.downstream.report import icl_precision_rows, icl_rows


def main() -> None:
    parser = script_parser(__doc__)
    parser.add_argument("runs", nargs="+", type=Path, help="run folders (or icl.json files)")
    args = parser.parse_args()
    pooled = pool_results([ICLResult.load(run) for run in args.runs])
    seeds = ", ".join(str(s.get("seed")) for s in pooled.settings["pooled"])
    print(f"## {len(pooled.queries)} queries pooled over split seeds {seeds}, k={pooled.settings['k']}\n")
    print(markdown_table(*icl_rows(pooled)))
    print(markdown_table(*icl_precision_rows(pooled)))


if __name__ == "__main__":
    main()
