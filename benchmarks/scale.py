"""Scale of the tools: time and peak memory at 10k / 100k / 1M synthetic vectors against scikit-learn.

    .venv/bin/python benchmarks/scale.py                      # everything -> results/scale.json
    .venv/bin/python benchmarks/scale.py --sizes 10000 100000 # a subset
    .venv/bin/python benchmarks/scale.py --markdown           # the BENCHMARKS.md tables

Vectors: 384-d (MiniLM's size), unit length, drawn around 2,000 random task centres so that neighbours
and clusters are meaningful. Every measurement runs in a fresh process (peak RSS is that process's
high-water mark, the vectors included) with a time limit; rows already in the JSON are skipped.

- k-means, k=100: pie-embed (`tools.clustering.kmeans`: scikit-learn below 20k vectors, faiss from
  there, k-means++ seeds) against scikit-learn's KMeans(n_init=1).
- top-10 neighbours of 1,000 queries in one call (`neighbors.nearest_neighbors`: exact blocks unless
  queries x pool passes 1e9 pairs) against scikit-learn's NearestNeighbors(metric="cosine",
  algorithm="brute"); recall@10 against exact search.
- a persisted-index workload (`pie index build`, then one query at a time as a service sees them):
  build time and ms per single query, pie-embed's `build_index` (exact below 50k, faiss HNSW from
  there) against NearestNeighbors.
- the tools themselves at 100k: select (kmeans n=1000, dbscan, diverse), dedup, correlate two halves,
  demonstration index + retrieval.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import script_parser

from pie_embed.benchmark.machine import machine_info

ROOT = Path(__file__).resolve().parents[1]
DIM, CENTRES, QUERIES, K_MEANS, K_NEIGHBOURS = 384, 2000, 1000, 100, 10
LIMIT_S = 900


def synthetic(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CENTRES, DIM), dtype=np.float32)
    out = np.empty((n, DIM), np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        block = centres[rng.integers(0, CENTRES, stop - start)]
        block += 0.6 * rng.standard_normal(block.shape, dtype=np.float32)
        out[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def exact_top(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    from pie_embed.tools.neighbors import ExactIndex

    return ExactIndex(vectors).search(queries, K_NEIGHBOURS)[1]


def run(task: str, n: int) -> dict[str, Any]:
    # imports first, so that neither side's timing includes them
    import sklearn.cluster  # noqa: F401
    import sklearn.neighbors  # noqa: F401

    import pie_embed.tools  # noqa: F401

    # queries come from the same task centres as the pool (new points, not pool rows)
    vectors = synthetic(n + QUERIES)
    vectors, queries = vectors[:n], vectors[n:]
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    extra: dict[str, Any] = {}
    if task == "kmeans/pie-embed":
        from pie_embed.tools.clustering import kmeans

        result = kmeans(vectors, K_MEANS, seed=0)
        extra["backend"] = result.backend
        extra["inertia_cos"] = float(np.mean(np.einsum("ij,ij->i", vectors, result.centroids[result.labels])))
    elif task == "kmeans/scikit-learn":
        from sklearn.cluster import KMeans

        model = KMeans(n_clusters=K_MEANS, n_init=1, random_state=0).fit(vectors)
        centroids = model.cluster_centers_ / np.linalg.norm(model.cluster_centers_, axis=1, keepdims=True)
        extra["inertia_cos"] = float(np.mean(np.einsum("ij,ij->i", vectors, centroids[model.labels_])))
    elif task == "neighbours/pie-embed":
        from pie_embed.tools.neighbors import nearest_neighbors

        ids = nearest_neighbors(vectors, queries, K_NEIGHBOURS)[1]
    elif task == "index/pie-embed":
        from pie_embed.tools.neighbors import build_index

        index = build_index(vectors)
        extra["backend"] = index.kind
        extra["build_s"] = round(time.perf_counter() - start, 2)
        began = time.perf_counter()
        ids = np.concatenate([index.search(q[None], K_NEIGHBOURS)[1] for q in queries])
        extra["ms_per_single_query"] = round(1000 * (time.perf_counter() - began) / len(queries), 3)
    elif task == "index/scikit-learn":
        from sklearn.neighbors import NearestNeighbors

        model = NearestNeighbors(n_neighbors=K_NEIGHBOURS, metric="cosine", algorithm="brute").fit(vectors)
        extra["build_s"] = round(time.perf_counter() - start, 2)
        began = time.perf_counter()
        ids = np.concatenate([model.kneighbors(q[None], return_distance=False) for q in queries[:200]])
        extra["ms_per_single_query"] = round(1000 * (time.perf_counter() - began) / 200, 3)
        ids = np.concatenate([ids, model.kneighbors(queries[200:], return_distance=False)])
    elif task == "neighbours/scikit-learn":
        from sklearn.neighbors import NearestNeighbors

        ids = (
            NearestNeighbors(n_neighbors=K_NEIGHBOURS, metric="cosine", algorithm="brute")
            .fit(vectors)
            .kneighbors(queries, return_distance=False)
        )
    elif task.startswith("select/"):
        from pie_embed.tools.select import select_instructions

        method = task.split("/")[1]
        result = select_instructions(vectors, 1000, method, eps=0.35, diversity_threshold=0.6)
        extra["selected"] = len(result.indices)
    elif task == "dedup":
        from pie_embed.tools.diversity import greedy_filter

        extra["kept"] = len(greedy_filter(vectors, 0.9).kept)
    elif task == "correlate":
        from pie_embed.tools.correlate import correlate_vectors

        half = n // 2
        result = correlate_vectors([vectors[:half], vectors[half:]], ["a", "b"])
        extra["coverage"] = float(result.coverage[0, 1])
    elif task == "retrieve":
        from pie_embed.tools.neighbors import build_index

        ids = build_index(vectors).search(queries, 4)[1]
    seconds = time.perf_counter() - start
    if task.startswith(("neighbours/", "index/")):
        truth = exact_top(vectors, queries)
        extra["recall@10"] = float(
            np.mean([len(set(a) & set(b)) / K_NEIGHBOURS for a, b in zip(ids, truth, strict=True)])
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "task": task,
        "n": n,
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(peak / 1024),
        "rss_before_mb": round(base_rss / 1024),
        **extra,
    }


def _child(task: str, n: int, queue: mp.Queue) -> None:
    queue.put(run(task, n))


def measure(task: str, n: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(task, n, queue))
    process.start()
    process.join(LIMIT_S)
    if process.is_alive():
        process.kill()
        return {"task": task, "n": n, "seconds": None, "note": f"did not finish in {LIMIT_S} s"}
    if process.exitcode != 0:
        return {"task": task, "n": n, "seconds": None, "note": f"failed (exit {process.exitcode})"}
    return queue.get()


COMPARE = [
    "kmeans/pie-embed",
    "kmeans/scikit-learn",
    "neighbours/pie-embed",
    "neighbours/scikit-learn",
    "index/pie-embed",
    "index/scikit-learn",
]
TOOLS = ["select/kmeans", "select/dbscan", "select/diverse", "dedup", "correlate", "retrieve"]


def markdown(records: list[dict[str, Any]]) -> str:
    lines = ["| task | n | seconds | peak RSS MB | notes |", "|---|---|---|---|---|"]
    for r in sorted(records, key=lambda r: (r["task"].split("/")[0], r["n"], r["task"])):
        notes = ", ".join(
            f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
            for k, v in r.items()
            if k not in {"task", "n", "seconds", "peak_rss_mb", "rss_before_mb"}
        )
        seconds = "-" if r["seconds"] is None else f"{r['seconds']:.1f}"
        lines.append(f"| {r['task']} | {r['n']:,} | {seconds} | {r.get('peak_rss_mb', '-')} | {notes} |")
    return "\n".join(lines)


def main() -> None:
    parser = script_parser(__doc__, "scale")
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--tasks", nargs="*", default=None)
    args = parser.parse_args()
    records = json.loads(args.json.read_text()) if args.json.is_file() else []
    if args.markdown:
        print(markdown(records))
        return
    done = {(r["task"], r["n"]) for r in records}
    plan = [(t, n) for n in args.sizes for t in COMPARE] + [
        (t, 100_000) for t in TOOLS if 100_000 in args.sizes
    ]
    for task, n in plan:
        if (task, n) in done or (args.tasks and task not in args.tasks):
            continue
        record = {**measure(task, n), "machine": machine_info()}
        print(record, flush=True)
        records.append(record)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(records, indent=2) + "\n")


if __name__ == "__main__":
    main()
