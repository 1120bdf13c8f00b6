"""Task map: a seeded 2-D projection of instruction vectors, coloured by task or cluster, as an
interactive HTML file (plotly, self-contained, works offline) and a PNG (matplotlib)."""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pie_embed.data.atomic import atomic_write, atomic_write_text
from pie_embed.data.source import InstructionSource, as_source
from pie_embed.deprecation import renamed_arguments
from pie_embed.embedding.encoder import TextEncoder, default_encoder
from pie_embed.embedding.normalize import unit_rows
from pie_embed.errors import ConfigError, DataError
from pie_embed.extras import import_extra
from pie_embed.tools.clustering import kmeans
from pie_embed.tools.vectors import embed_rows

PROJECTIONS: tuple[str, ...] = ("tsne", "umap", "pca")
COLOR_BY: tuple[str, ...] = ("task", "label", "cluster")
# most points a map draws; larger inputs are sampled (seeded) so the page stays responsive
MAX_POINTS = 20_000
# groups with their own colour; the rest are drawn grey as "other"
MAX_GROUPS = 20
HOVER_CHARS = 200


@dataclass
class TaskMap:
    """Projected points and what each one is."""

    xy: np.ndarray
    rows: np.ndarray
    groups: list[str]
    texts: list[str]
    projection: str
    total_rows: int


def project(vectors: np.ndarray, method: str = "tsne", seed: int = 0) -> np.ndarray:
    """2-D coordinates of ``vectors`` by t-SNE (cosine), UMAP (needs umap-learn) or PCA, seeded."""
    if method not in PROJECTIONS:
        raise ConfigError(f"unknown projection {method!r}; choose one of {', '.join(PROJECTIONS)}")
    if len(vectors) < 3:
        raise ConfigError(f"a map needs at least 3 instructions, got {len(vectors)}")
    from sklearn.decomposition import PCA

    if method == "pca":
        return PCA(n_components=2, random_state=seed).fit_transform(vectors)
    if method == "umap":
        umap = import_extra("umap", "map", "umap-learn")
        return umap.UMAP(n_components=2, metric="cosine", random_state=seed).fit_transform(vectors)
    from sklearn.manifold import TSNE

    reduced = vectors
    if vectors.shape[1] > 50 and len(vectors) > 50:
        reduced = PCA(n_components=50, random_state=seed).fit_transform(vectors)
    perplexity = float(min(30, max(2, (len(vectors) - 1) // 3)))
    return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(reduced)


def build_task_map(
    vectors: np.ndarray,
    texts: list[str],
    groups: list[str],
    *,
    projection: str = "tsne",
    max_points: int = MAX_POINTS,
    seed: int = 0,
) -> TaskMap:
    """Project (a seeded sample of at most ``max_points``) rows and keep their texts and groups."""
    rows = sample_rows(len(vectors), max_points, seed)
    xy = project(vectors[rows], projection, seed)
    return TaskMap(xy, rows, [groups[i] for i in rows], [texts[i] for i in rows], projection, len(vectors))


def sample_rows(total: int, max_points: int, seed: int) -> np.ndarray:
    """All rows, or a seeded sorted sample of ``max_points`` of them."""
    if total <= max_points:
        return np.arange(total)
    return np.sort(np.random.default_rng(seed).choice(total, max_points, replace=False))


def _legend_groups(groups: list[str]) -> list[str]:
    """Groups with their own colour (the largest ones), then "other" for the rest."""
    top = [g for g, _ in Counter(groups).most_common(MAX_GROUPS)]
    shown = set(top)
    return [g if g in shown else "other" for g in groups]


def _title(task_map: TaskMap, color_by: str) -> str:
    sample = (
        f" (a sample of {len(task_map.rows):,} of {task_map.total_rows:,})"
        if len(task_map.rows) < task_map.total_rows
        else ""
    )
    count = f"{len(task_map.rows):,} instructions{sample}"
    return f"Task map: {count}, {task_map.projection}, coloured by {color_by}"


def write_html(task_map: TaskMap, path: str | Path, color_by: str = "task") -> None:
    """A self-contained interactive scatter plot (plotly.js inlined, SVG markers, hover shows the text)."""
    go = import_extra("plotly.graph_objects", "tools")
    shown = _legend_groups(task_map.groups)
    figure = go.Figure()
    for group in [g for g, _ in Counter(shown).most_common() if g != "other"] + (
        ["other"] if "other" in shown else []
    ):
        members = [i for i, g in enumerate(shown) if g == group]
        hover = [
            html.escape(_short(task_map.texts[i])) + f"<br><i>{html.escape(task_map.groups[i])}</i>"
            for i in members
        ]
        figure.add_trace(
            go.Scatter(
                x=task_map.xy[members, 0],
                y=task_map.xy[members, 1],
                mode="markers",
                name=f"{group} ({len(members)})",
                text=hover,
                hovertemplate="%{text}<extra></extra>",
                customdata=task_map.rows[members],
                marker={"size": 6, "opacity": 0.8, **({"color": "lightgrey"} if group == "other" else {})},
            )
        )
    figure.update_layout(
        title=_title(task_map, color_by), template="plotly_white", legend={"itemsizing": "constant"}
    )
    page = figure.to_html(include_plotlyjs=True, full_html=True, div_id="pie-task-map")
    atomic_write_text(Path(path), page)


def write_png(task_map: TaskMap, path: str | Path, color_by: str = "task") -> None:
    """The same map as a static PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = _legend_groups(task_map.groups)
    fig, ax = plt.subplots(figsize=(11, 8))
    order = [g for g, _ in Counter(shown).most_common() if g != "other"]
    if "other" in shown:
        members = [i for i, g in enumerate(shown) if g == "other"]
        ax.scatter(
            task_map.xy[members, 0],
            task_map.xy[members, 1],
            s=5,
            c="lightgrey",
            label=f"other ({len(members)})",
        )
    colors = plt.get_cmap("tab20")
    for n, group in enumerate(order):
        members = [i for i, g in enumerate(shown) if g == group]
        ax.scatter(
            task_map.xy[members, 0],
            task_map.xy[members, 1],
            s=7,
            color=colors(n % 20),
            label=f"{group} ({len(members)})",
        )
    ax.set_title(_title(task_map, color_by), fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7, markerscale=2)
    fig.tight_layout()
    atomic_write(Path(path), lambda stream: fig.savefig(stream, format="png", dpi=110))
    plt.close(fig)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= HOVER_CHARS else text[: HOVER_CHARS - 1] + "…"


@dataclass
class MapFileResult:
    """The map and the files written."""

    task_map: TaskMap
    html: Path
    png: Path


@renamed_arguments(path="source")
def map_file(
    source: InstructionSource | str | Path,
    output: str | Path,
    *,
    embedder: TextEncoder | None = None,
    embeddings: str | Path | None = None,
    color_by: str = "task",
    clusters: int = 20,
    projection: str = "tsne",
    max_points: int = MAX_POINTS,
    seed: int = 0,
    show_progress: bool = False,
    **reader_options: Any,
) -> MapFileResult:
    """Map a dataset file: ``output`` (.html) and the PNG next to it.

    ``color_by``: ``task`` (labels from `pie label`), ``label`` (the source's own label field) or
    ``cluster`` (k-means with ``clusters`` clusters)."""
    source = as_source(source, reader_options, caller="map_file")
    if color_by not in COLOR_BY:
        raise ConfigError(f"unknown colouring {color_by!r}; choose one of {', '.join(COLOR_BY)}")
    output = Path(output)
    if output.suffix.lower() != ".html":
        raise ConfigError(f"{output}: the map is written as HTML; give a .html path")
    # only the drawn rows are read, embedded and labelled; all rows only for clusters or given vectors
    if color_by == "cluster" or embeddings is not None:
        data = embed_rows(source, embedder=embedder, embeddings=embeddings, show_progress=show_progress)
        total = len(data)
        rows = sample_rows(total, max_points, seed)
        chosen = data.rows_at(rows.tolist())
        vectors = data.vectors[rows]
        if color_by == "cluster":
            labels = kmeans(data.vectors, min(clusters, total), seed=seed).labels[rows]
    else:
        total = source.check().count()
        rows = sample_rows(total, max_points, seed)
        chosen = source.rows_at(rows.tolist())
        vectors = unit_rows(
            (embedder or default_encoder()).encode(chosen.texts, show_progress_bar=show_progress)
        )
    texts = chosen.texts
    if color_by == "label":
        missing = [r.line for r in chosen.records if r.label is None]
        if missing:
            raise DataError(
                f"{source.path}: line {missing[0]}: no {source.label_field!r} field to colour by "
                "(use --color task)"
            )
        groups = [str(label) for label in chosen.labels]
    elif color_by == "task":
        from pie_embed.labeling import TaskLabeler

        found = TaskLabeler(cache=True).label_many(texts, show_progress=show_progress)
        groups = [t.label or "(no task found)" for t in found]
    else:
        groups = [f"cluster {c}" for c in labels]
    task_map = TaskMap(project(vectors, projection, seed), rows, groups, texts, projection, total)
    png = output.with_suffix(".png")
    write_html(task_map, output, color_by)
    write_png(task_map, png, color_by)
    return MapFileResult(task_map, output, png)
