"""Instruction-data selection (and test-set compression): k-means, DBSCAN or diversity-aware greedy."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from pie_embed.data.atomic import write_json
from pie_embed.data.source import InstructionSource, as_source
from pie_embed.data.subsets import default_subset_path, write_subset
from pie_embed.deprecation import renamed_arguments
from pie_embed.embedding.encoder import TextEncoder
from pie_embed.embedding.normalize import ROW_BLOCK
from pie_embed.errors import ConfigError
from pie_embed.tools.clustering import kmeans
from pie_embed.tools.diversity import greedy_filter
from pie_embed.tools.duplicates import find_duplicates
from pie_embed.tools.neighbors import nearest_neighbors, one_shot_backend, query_blocks
from pie_embed.tools.vectors import embed_rows

Method = Literal["kmeans", "dbscan", "diverse"]
METHODS: tuple[str, ...] = ("kmeans", "dbscan", "diverse")


@dataclass
class SelectionResult:
    """The chosen rows and how the data fell into clusters.

    ``cluster_of[i]`` is row i's cluster (-1: DBSCAN noise, a removed duplicate, or no clusters for
    ``diverse``); ``duplicate_of`` maps each removed near-duplicate to the row it duplicates and
    ``duplicate_similarity`` to their cosine.
    """

    indices: list[int]
    method: str
    requested: int
    cluster_of: np.ndarray
    duplicate_of: dict[int, int] = field(default_factory=dict)
    backend: str = ""
    duplicate_similarity: dict[int, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def cluster_sizes(self) -> dict[int, int]:
        counts = Counter(int(c) for c in self.cluster_of if c >= 0)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def summary(self) -> dict[str, Any]:
        """A JSON-ready account of the selection (without per-row data)."""
        sizes = list(self.cluster_sizes.values())
        return {
            "method": self.method,
            "requested": self.requested,
            "selected": len(self.indices),
            "input_rows": len(self.cluster_of),
            "duplicates_removed": len(self.duplicate_of),
            "clusters": len(sizes),
            "cluster_size": (
                {"min": min(sizes), "median": float(np.median(sizes)), "max": max(sizes)} if sizes else None
            ),
            "noise_rows": int(np.sum(self.cluster_of == -1)) - len(self.duplicate_of)
            if self.method == "dbscan"
            else 0,
            "backend": self.backend,
            "notes": self.notes,
        }


def farthest_first(vectors: np.ndarray, chosen: list[int], count: int, candidates: np.ndarray) -> list[int]:
    """Add ``count`` rows of ``candidates`` one at a time, each the least similar to all chosen so far."""
    pool = np.asarray(candidates, np.int64)
    pool = pool[~np.isin(pool, chosen)]
    if count <= 0 or len(pool) == 0:
        return []
    pool_vectors = vectors[pool]
    closest = np.full(len(pool), -np.inf, np.float32)
    if chosen:
        base = vectors[chosen]
        blocks = query_blocks(len(pool), len(base))
        for start in blocks:
            closest[start : start + blocks.step] = (pool_vectors[start : start + blocks.step] @ base.T).max(
                axis=1
            )
    added: list[int] = []
    for _ in range(min(count, len(pool))):
        pick = int(np.argmin(closest))
        added.append(int(pool[pick]))
        closest = np.maximum(closest, pool_vectors @ pool_vectors[pick])
        closest[pick] = np.inf
    return added


def _kmeans_pick(
    vectors: np.ndarray, rows: np.ndarray, n: int, seed: int
) -> tuple[list[int], np.ndarray, str]:
    result = kmeans(vectors, n, rows=rows, seed=seed)
    sims = np.empty(len(rows), np.float32)
    for start in range(0, len(rows), ROW_BLOCK):
        block = slice(start, start + ROW_BLOCK)
        sims[block] = np.einsum("ij,ij->i", vectors[rows[block]], result.centroids[result.labels[block]])
    # per cluster, its row nearest the centroid last (the earliest such row on a tie)
    order = np.lexsort((-np.arange(len(rows)), sims, result.labels))
    last = np.r_[result.labels[order][1:] != result.labels[order][:-1], True]
    return [int(r) for r in rows[order[last]]], result.labels, result.backend


def radius_graph(vectors: np.ndarray, min_similarity: float, max_neighbors: int) -> Any:
    """Sparse cosine-distance graph of each row's up to ``max_neighbors`` neighbours within
    ``min_similarity`` (itself included), for DBSCAN(metric="precomputed")."""
    from scipy.sparse import csr_matrix

    similarities, ids = nearest_neighbors(vectors, vectors, max_neighbors)
    within = (ids >= 0) & (similarities >= min_similarity)
    rows = np.repeat(np.arange(len(vectors)), within.sum(axis=1))
    distances = np.clip(1.0 - similarities[within], 0.0, None)
    return csr_matrix((distances, (rows, ids[within])), shape=(len(vectors), len(vectors)))


def _dbscan_pick(
    vectors: np.ndarray, rows: np.ndarray, n: int, eps: float, min_samples: int
) -> tuple[list[int], np.ndarray, list[str]]:
    from sklearn.cluster import DBSCAN

    graph = radius_graph(vectors[rows], 1.0 - eps, max(64, 2 * min_samples))
    labels = DBSCAN(eps=eps, min_samples=min_samples, metric="precomputed").fit_predict(graph)
    clusters = [c for c, _ in Counter(int(c) for c in labels if c >= 0).most_common()]
    picks: list[int] = []
    for cluster in clusters:
        members = np.flatnonzero(labels == cluster)
        centre = vectors[rows[members]].mean(axis=0)
        picks.append(int(rows[members[np.argmax(vectors[rows[members]] @ centre)]]))
    notes = [f"DBSCAN (eps {eps}, min_samples {min_samples}) found {len(clusters)} clusters"]
    if len(picks) >= n:
        if len(picks) > n:
            notes.append(f"kept the representatives of the {n} largest clusters")
        return picks[:n], labels, notes
    noise = rows[labels == -1]
    picks += [int(r) for r in noise[: n - len(picks)]]
    if len(picks) < n:
        notes.append(f"filled {n - len(picks)} rows farthest-first from cluster members")
        picks += farthest_first(vectors, picks, n - len(picks), rows)
    return picks, labels, notes


def select_instructions(
    vectors: np.ndarray,
    n: int,
    method: str = "kmeans",
    *,
    dedup_threshold: float | None = None,
    diversity_threshold: float = 0.9,
    eps: float = 0.15,
    min_samples: int = 5,
    seed: int = 0,
    show_progress: bool = False,
) -> SelectionResult:
    """Choose ``n`` rows of unit ``vectors``.

    - ``kmeans``: k-means with k = n, keeping the row nearest each centroid (the paper's method);
    - ``dbscan``: one central row per DBSCAN cluster (largest first), then noise rows, then
      farthest-first rows if there are fewer clusters than ``n``;
    - ``diverse``: in file order, keep a row only if its cosine to every kept row is below
      ``diversity_threshold`` (DEITA's filter), until ``n`` are kept.

    ``dedup_threshold`` first drops rows at least that similar to an earlier row.
    """
    if method not in METHODS:
        raise ConfigError(f"unknown selection method {method!r}; choose one of {', '.join(METHODS)}")
    total = len(vectors)
    if total == 0:
        raise ConfigError("cannot select from an empty dataset")
    if not 1 <= n <= total:
        raise ConfigError(f"-n {n} is out of range: the dataset has {total} rows")
    cluster_of = np.full(total, -1, np.int64)
    duplicate_of: dict[int, int] = {}
    duplicate_similarity: dict[int, float] = {}
    rows = np.arange(total)
    notes: list[str] = []
    if dedup_threshold is not None:
        duplicates = find_duplicates(vectors, dedup_threshold, show_progress=show_progress)
        if duplicates.backend != "exact":
            notes.append(f"near-duplicates found through an approximate index ({duplicates.backend})")
        duplicate_of, duplicate_similarity = duplicates.as_dict(), duplicates.similarities()
        rows = duplicates.kept
        if n > len(rows):
            raise ConfigError(
                f"-n {n} is more than the {len(rows)} rows left after removing near-duplicates "
                f"(threshold {dedup_threshold})"
            )
    backend = "exact"  # diverse: blocked exact similarities
    if method == "kmeans":
        picks, labels, backend = _kmeans_pick(vectors, rows, n, seed)
        cluster_of[rows] = labels
        if len(picks) < n:
            notes.append(f"{n - len(picks)} clusters came out empty; filled farthest-first")
            picks += farthest_first(vectors, picks, n - len(picks), rows)
    elif method == "dbscan":
        picks, labels, notes = _dbscan_pick(vectors, rows, n, eps, min_samples)
        backend = one_shot_backend(len(rows), len(rows))
        cluster_of[rows] = labels
    else:
        kept = greedy_filter(vectors[rows], diversity_threshold, limit=n, show_progress=show_progress).kept
        picks = [int(r) for r in rows[kept]]
        if len(picks) < n:
            notes.append(
                f"only {len(picks)} rows are pairwise below cosine {diversity_threshold}; "
                "lower --diversity-threshold for more"
            )
    return SelectionResult(
        indices=sorted(picks),
        method=method,
        requested=n,
        cluster_of=cluster_of,
        duplicate_of=duplicate_of,
        backend=backend,
        notes=notes,
        duplicate_similarity=duplicate_similarity,
    )


@dataclass
class TaskCount:
    task: str
    rows: int


@dataclass
class TaskCoverage:
    """How many of the data's task labels (`pie label`) the chosen rows cover."""

    tasks_in_input: int
    tasks_selected: int
    coverage: float | None
    unlabeled_selected: int
    top_selected: list[TaskCount]


def task_coverage(texts: list[str], chosen: list[int], labeler: Any) -> TaskCoverage:
    """The task coverage of rows ``chosen`` of ``texts``, labelled by ``labeler``."""
    labels = [t.label for t in labeler.label_many(texts)]
    everywhere = Counter(label for label in labels if label is not None)
    covered = Counter(labels[i] for i in chosen if labels[i] is not None)
    return TaskCoverage(
        tasks_in_input=len(everywhere),
        tasks_selected=len(covered),
        coverage=round(len(covered) / len(everywhere), 4) if everywhere else None,
        unlabeled_selected=sum(1 for i in chosen if labels[i] is None),
        top_selected=[TaskCount(task, count) for task, count in covered.most_common(20)],
    )


@dataclass
class SelectedRow:
    row: int
    line: int
    cluster: int
    cluster_size: int


@dataclass
class DuplicateRow:
    row: int
    line: int
    duplicate_of: int
    similarity: float  # cosine to the row it duplicates


@dataclass
class SelectReport:
    """`pie select`'s report (``<output>.report.json``): the settings, the clusters, every selected row,
    every removed near-duplicate and the task coverage."""

    input: str
    output: str
    method: str
    requested: int
    selected: int
    input_rows: int
    duplicates_removed: int
    clusters: int
    cluster_size: dict[str, float] | None
    noise_rows: int
    backend: str
    notes: list[str]
    settings: dict[str, Any]
    tasks: TaskCoverage | None
    selected_rows: list[SelectedRow]
    duplicates: list[DuplicateRow]


@dataclass
class SelectFileResult:
    """What `pie select` wrote."""

    output: Path
    report_path: Path
    selection: SelectionResult
    report: SelectReport


@renamed_arguments(path="source")
def select_file(
    source: InstructionSource | str | Path,
    n: int,
    method: str = "kmeans",
    *,
    output: str | Path | None = None,
    report_path: str | Path | None = None,
    embedder: TextEncoder | None = None,
    embeddings: str | Path | None = None,
    dedup_threshold: float | None = None,
    diversity_threshold: float = 0.9,
    eps: float = 0.15,
    min_samples: int = 5,
    seed: int = 0,
    label_tasks: bool = True,
    show_progress: bool = False,
    **reader_options: Any,
) -> SelectFileResult:
    """Select ``n`` rows of a dataset file and write them in its own format, plus a JSON report.

    The file is read in one streamed pass (vectors and line numbers kept, texts only for the task
    coverage) and the chosen rows read back in a second, so a file of millions of rows fits in memory."""
    source = as_source(source, reader_options, caller="select_file")
    data = embed_rows(
        source, embedder=embedder, embeddings=embeddings, keep_texts=label_tasks, show_progress=show_progress
    )
    selection = select_instructions(
        data.vectors,
        n,
        method,
        dedup_threshold=dedup_threshold,
        diversity_threshold=diversity_threshold,
        eps=eps,
        min_samples=min_samples,
        seed=seed,
        show_progress=show_progress,
    )
    chosen = data.rows_at(selection.indices)
    out = Path(output) if output is not None else default_subset_path(chosen, "selected")
    report_out = Path(report_path) if report_path is not None else out.with_name(out.name + ".report.json")
    sizes = selection.cluster_sizes
    lines = data.lines
    settings: dict[str, Any] = {
        **data.settings,
        "dedup_threshold": dedup_threshold,
        "seed": seed,
        **({"diversity_threshold": diversity_threshold} if method == "diverse" else {}),
        **({"eps": eps, "min_samples": min_samples} if method == "dbscan" else {}),
    }
    tasks = None
    if label_tasks:
        from pie_embed.labeling import TaskLabeler

        assert data.texts is not None
        tasks = task_coverage(data.texts, selection.indices, TaskLabeler(cache=True))
    report = SelectReport(
        input=str(source.path),
        output=str(out),
        **selection.summary(),
        settings=settings,
        tasks=tasks,
        selected_rows=[
            SelectedRow(
                i, int(lines[i]), int(selection.cluster_of[i]), sizes.get(int(selection.cluster_of[i]), 0)
            )
            for i in selection.indices
        ],
        duplicates=[
            DuplicateRow(i, int(lines[i]), j, selection.duplicate_similarity[i])
            for i, j in selection.duplicate_of.items()
        ],
    )
    write_subset(chosen, selection.indices, out, field=source.field)
    write_json(report_out, report)
    return SelectFileResult(out, report_out, selection, report)
