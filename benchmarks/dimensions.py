"""What `dimensions` (keep the first N numbers, re-normalise: OpenAI's semantics) costs on IEB.

    .venv/bin/python benchmarks/dimensions.py                  # -> benchmarks/results/dimensions.json
    .venv/bin/python benchmarks/dimensions.py --markdown       # the docs/serving.md table

ICT ARI (k-means seed 0, as `pie bench`) and IIS Spearman for the default model and pie-minilm (when
built) at each truncation; vectors come from the embedding cache when `pie bench` has run.
"""

from __future__ import annotations

import json
from pathlib import Path

from common import script_parser

from pie_embed import InstructionEmbedder
from pie_embed.benchmark.ieb import load_ieb
from pie_embed.benchmark.machine import machine_info
from pie_embed.benchmark.tasks import evaluate_clustering, evaluate_similarity
from pie_embed.embedding.cache import EmbeddingCache
from pie_embed.embedding.normalize import unit_rows
from pie_embed.errors import ModelNotFoundError
from pie_embed.paths import cache_dir

ROOT = Path(__file__).resolve().parents[1]
SIZES = (384, 256, 192, 128, 64, 32)


def measure(models: list[str]) -> list[dict[str, object]]:
    ieb = load_ieb(ROOT.parent / "shared" / "ieb", [])
    cache = EmbeddingCache(cache_dir() / "embeddings")
    rows = []
    for name in models:
        try:
            embedder = InstructionEmbedder(name)
        except ModelNotFoundError as error:
            print(f"skipping {name}: {error}")
            continue
        ict, _ = cache.encode(embedder, ieb.ict.texts)
        first, _ = cache.encode(embedder, [p.text1 for p in ieb.pairs])
        second, _ = cache.encode(embedder, [p.text2 for p in ieb.pairs])
        labels = [p.label for p in ieb.pairs]
        for size in SIZES:
            cut = [unit_rows(v[:, :size]) for v in (ict, first, second)]
            rows.append(
                {
                    "model": name,
                    "dimensions": size,
                    "ict_ari": round(evaluate_clustering(cut[0], ieb.ict.labels).scores.ari, 3),
                    "iis_spearman": round(evaluate_similarity(cut[1], cut[2], labels).spearman, 3),
                }
            )
            print(rows[-1], flush=True)
    return rows


def markdown(rows: list[dict[str, object]]) -> str:
    lines = ["| model | dimensions | ICT ARI | IIS Spearman |", "|---|---|---|---|"]
    lines += [f"| {r['model']} | {r['dimensions']} | {r['ict_ari']} | {r['iis_spearman']} |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = script_parser(__doc__, "dimensions")
    parser.add_argument("--models", nargs="+", default=["default", "pie-minilm"])
    args = parser.parse_args()
    if not args.markdown:
        args.json.write_text(json.dumps({**measure(args.models), "machine": machine_info()}, indent=2) + "\n")
    print(markdown(json.loads(args.json.read_text())))


if __name__ == "__main__":
    main()
