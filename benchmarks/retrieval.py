"""Demonstration retrieval: task-match precision@k by leave-one-out on the IEB EFT test set.

    .venv/bin/python benchmarks/retrieval.py            # -> results/retrieval.json and a markdown table

For each of the 3,291 eft_test instructions, the k nearest other instructions are retrieved from the
rest of the set; precision@k is the share of them that carry the query's task label. Compared: random
demonstrations, TF-IDF (a plain lexical retriever), the default model (all-MiniLM-L6-v2), all-mpnet-base-v2
(a larger plain text embedder) and the trained task-aware `pie-minilm` and `pie-general` when they
have been built (`pie train --recipe default`, `pie train --recipe general`). Embeddings are cached
like `pie bench`'s.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from common import script_parser

from pie_embed.benchmark.machine import machine_info

ROOT = Path(__file__).resolve().parents[1]
EFT = ROOT.parent / "shared" / "ieb" / "eft_test.json"
KS = (1, 4, 8)
MODELS = {
    "all-MiniLM-L6-v2 (default)": "default",
    "all-mpnet-base-v2": "mpnet-base",
    "pie-minilm (trained)": "pie-minilm",
    "pie-general (trained)": "pie-general",
}


def main() -> None:
    parser = script_parser(__doc__)
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "retrieval.json")
    args = parser.parse_args()

    from sklearn.feature_extraction.text import TfidfVectorizer

    from pie_embed import InstructionEmbedder
    from pie_embed.benchmark.ieb import read_labeled
    from pie_embed.embedding.cache import EmbeddingCache
    from pie_embed.errors import PieError
    from pie_embed.paths import cache_dir
    from pie_embed.tools.retrieve import leave_one_out_precision, random_precision

    data = read_labeled(EFT)
    texts, labels = data.texts, data.labels
    rows = [{"retriever": "random", **{f"p@{k}": random_precision(labels, k) for k in KS}, "seconds": 0.0}]
    start = time.perf_counter()
    tfidf = TfidfVectorizer(sublinear_tf=True).fit_transform(texts).toarray().astype(np.float32)
    seconds = time.perf_counter() - start
    rows.append(
        {
            "retriever": "TF-IDF",
            **{f"p@{k}": leave_one_out_precision(tfidf, labels, k) for k in KS},
            "seconds": round(seconds, 1),
        }
    )
    cache = EmbeddingCache(cache_dir() / "embeddings")
    for name, model in MODELS.items():
        try:
            embedder = InstructionEmbedder(model)
        except PieError as error:
            print(f"skipping {name}: {error}")
            continue
        start = time.perf_counter()
        vectors, _ = cache.encode(embedder, texts)
        seconds = time.perf_counter() - start
        rows.append(
            {
                "retriever": name,
                **{f"p@{k}": leave_one_out_precision(vectors, labels, k) for k in KS},
                "seconds": round(seconds, 1),
            }
        )
        print(rows[-1])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {"data": str(EFT.name), "queries": len(texts), "rows": rows, "machine": machine_info()}, indent=2
        )
        + "\n"
    )
    print("| retriever | " + " | ".join(f"precision@{k}" for k in KS) + " |")
    print("|---|" + "---|" * len(KS))
    for row in rows:
        print(f"| {row['retriever']} | " + " | ".join(f"{row[f'p@{k}']:.3f}" for k in KS) + " |")


if __name__ == "__main__":
    main()
