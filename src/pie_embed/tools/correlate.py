"""Dataset task correlation: how close the task distributions of instruction datasets are.

Two matrices, as in the PIE paper: the mean over dimensions of the 1-D Wasserstein distance between
two datasets' embedding distributions (symmetric; 0 is identical), and coverage, the mean over the
rows of A of their highest cosine to any row of B (asymmetric: how well B covers A's tasks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pie_embed.data.atomic import atomic_write, atomic_write_text, write_json
from pie_embed.data.source import InstructionSource, as_source
from pie_embed.deprecation import renamed_arguments
from pie_embed.embedding.encoder import TextEncoder, default_encoder
from pie_embed.embedding.normalize import unit_rows
from pie_embed.errors import ConfigError
from pie_embed.progress import progress_bar
from pie_embed.tools.neighbors import nearest_neighbors, one_shot_index
from pie_embed.tools.vectors import embed_rows


@dataclass
class CorrelationResult:
    """Names of the datasets and the two matrices (row = A, column = B)."""

    names: list[str]
    rows: list[int]
    wasserstein: np.ndarray
    coverage: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        return {
            "datasets": [{"name": n, "rows": r} for n, r in zip(self.names, self.rows, strict=True)],
            "wasserstein": self.wasserstein.round(6).tolist(),
            "coverage": self.coverage.round(6).tolist(),
        }


def mean_wasserstein(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over dimensions of the 1-D Wasserstein distance between the columns of ``a`` and ``b``."""
    from scipy.stats import wasserstein_distance

    return float(np.mean([wasserstein_distance(a[:, d], b[:, d]) for d in range(a.shape[1])]))


def coverage(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over rows of unit ``a`` of the highest cosine to a row of unit ``b``."""
    similarities, _ = nearest_neighbors(b, a, 1)
    return float(similarities[:, 0].mean())


def correlate_vectors(
    vectors: list[np.ndarray], names: list[str], show_progress: bool = False
) -> CorrelationResult:
    """Both matrices for unit-vector sets ``vectors``."""
    if len(vectors) < 2:
        raise ConfigError("task correlation needs at least two datasets")
    if len(set(names)) != len(names):
        raise ConfigError(f"dataset names must differ: {', '.join(names)}")
    n = len(vectors)
    wasserstein = np.zeros((n, n))
    cover = np.ones((n, n))
    with progress_bar(n * n, "correlating", show_progress) as advance:
        for j in range(n):
            # one index per column B, shared by every A it is searched from
            others = sum(len(v) for i, v in enumerate(vectors) if i != j)
            index = one_shot_index(vectors[j], others)
            for i in range(n):
                if i < j:
                    wasserstein[i, j] = wasserstein[j, i] = mean_wasserstein(vectors[i], vectors[j])
                if i != j:
                    cover[i, j] = float(index.search(vectors[i], 1)[0][:, 0].mean())
                advance(1)
    return CorrelationResult(names, [len(v) for v in vectors], wasserstein, cover)


def heatmap_png(matrix: np.ndarray, names: list[str], title: str, path: Path, fmt: str, cmap: str) -> None:
    """An annotated heatmap (row = A, column = B) written atomically as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    size = max(5.0, 0.65 * len(names) + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(matrix, cmap=cmap)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    low, high = float(np.nanmin(matrix)), float(np.nanmax(matrix))
    for i in range(len(names)):
        for j in range(len(names)):
            share = (matrix[i, j] - low) / ((high - low) or 1.0)
            bright = 1.0 - share if cmap.endswith("_r") else share  # viridis is light at the top
            color = "black" if bright > 0.55 else "white"
            ax.text(j, i, format(matrix[i, j], fmt), ha="center", va="center", fontsize=8, color=color)
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    atomic_write(path, lambda stream: fig.savefig(stream, format="png", dpi=110))
    plt.close(fig)


def _csv(matrix: np.ndarray, names: list[str]) -> str:
    lines = [",".join(["dataset", *names])]
    lines += [",".join([name, *(f"{v:.6f}" for v in row)]) for name, row in zip(names, matrix, strict=True)]
    return "\n".join(lines) + "\n"


@dataclass
class CorrelateFilesResult:
    """The matrices and the files written."""

    result: CorrelationResult
    files: list[Path]


@renamed_arguments(paths="sources")
def correlate_files(
    sources: Sequence[InstructionSource | str | Path],
    output_dir: str | Path,
    *,
    embedder: TextEncoder | None = None,
    max_rows: int | None = None,
    seed: int = 0,
    show_progress: bool = False,
    **reader_options: Any,
) -> CorrelateFilesResult:
    """Embed each dataset (a seeded sample of ``max_rows`` rows when larger), write both matrices as CSV,
    JSON and annotated heatmap PNGs into ``output_dir``."""
    embedder = embedder or default_encoder()
    checked = [as_source(source, reader_options, caller="correlate_files").check() for source in sources]
    names = [source.path.name.split(".")[0] for source in checked]
    vectors = []
    for source in checked:  # streamed: no dataset's records are held, only its (sampled) vectors
        if max_rows is not None and (total := source.count()) > max_rows:
            keep = np.sort(np.random.default_rng(seed).choice(total, max_rows, replace=False))
            texts = source.rows_at(keep.tolist()).texts
            vectors.append(unit_rows(embedder.encode(texts, show_progress_bar=show_progress)))
        else:
            vectors.append(embed_rows(source, embedder=embedder, show_progress=show_progress).vectors)
    result = correlate_vectors(vectors, names, show_progress=show_progress)
    out = Path(output_dir)
    files = [out / "wasserstein.csv", out / "coverage.csv", out / "correlation.json"]
    atomic_write_text(files[0], _csv(result.wasserstein, names))
    atomic_write_text(files[1], _csv(result.coverage, names))
    settings = {k: embedder.describe()[k] for k in ("model", "prompt", "pooling")}
    write_json(files[2], {**result.to_dict(), "settings": {**settings, "max_rows": max_rows, "seed": seed}})
    model = Path(str(settings["model"])).name
    heatmap_png(
        result.wasserstein,
        names,
        f"Mean Wasserstein distance ({model}; lower = closer)",
        out / "wasserstein.png",
        ".3f",
        "viridis_r",
    )
    heatmap_png(
        result.coverage,
        names,
        f"Coverage of row by column ({model}; higher = better covered)",
        out / "coverage.png",
        ".2f",
        "viridis",
    )
    files += [out / "wasserstein.png", out / "coverage.png"]
    return CorrelateFilesResult(result, files)
