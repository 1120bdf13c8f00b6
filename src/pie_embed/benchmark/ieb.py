"""Running the Instruction Embedding Benchmark (and clustering on any labeled file)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pie_embed.benchmark.files import ICT_FILE, IIS_FILE
from pie_embed.benchmark.tasks import (
    ClusteringResult,
    SimilarityResult,
    evaluate_clustering,
    evaluate_similarity,
)
from pie_embed.data.readers import InstructionPair, read_instructions, read_pairs
from pie_embed.data.source import InstructionSource
from pie_embed.embedding.cache import EmbeddingCache
from pie_embed.embedding.config import DEFAULTS
from pie_embed.embedding.embedder import InstructionEmbedder
from pie_embed.embedding.models import load_model
from pie_embed.embedding.protocol import TextEncoder
from pie_embed.embedding.static import StaticEncoder, is_static_model
from pie_embed.errors import DataError


@dataclass
class LabeledTexts:
    """Texts with one label each: the input of a clustering evaluation."""

    name: str
    texts: list[str]
    labels: list[str]


@dataclass
class IEBData:
    """The public IEB test sets (either may be absent) and extra labeled sets to cluster."""

    ict: LabeledTexts | None
    pairs: list[InstructionPair] | None
    clusters: list[LabeledTexts] = field(default_factory=list)


@dataclass
class BenchmarkResult:
    """All scores of one (model, prompt, pooling) setting."""

    settings: dict[str, object]
    ict: ClusteringResult | None
    iis: SimilarityResult | None
    clusters: dict[str, ClusteringResult]
    timings: dict[str, tuple[int, float]] = field(default_factory=dict)  # set -> (texts embedded, s)

    @property
    def embedded(self) -> int:
        """Texts embedded in this run (0 when everything came from the cache)."""
        return sum(count for count, _ in self.timings.values())

    @property
    def embed_seconds(self) -> float:
        return sum(elapsed for _, elapsed in self.timings.values())

    @property
    def texts_per_second(self) -> float | None:
        return self.embedded / self.embed_seconds if self.embedded and self.embed_seconds else None

    def to_dict(self) -> dict[str, object]:
        return {
            "settings": self.settings,
            "ict": self.ict.to_dict() if self.ict else None,
            "iis": self.iis.to_dict() if self.iis else None,
            "clusters": {name: result.to_dict() for name, result in self.clusters.items()},
            "embedded": self.embedded,
            "embed_seconds": self.embed_seconds,
            "texts_per_second": self.texts_per_second,
            "timings": {name: {"embedded": n, "seconds": t} for name, (n, t) in self.timings.items()},
        }


def read_labeled(
    path: InstructionSource | str | Path, field: str = "instruction", label_field: str = "label"
) -> LabeledTexts:
    """A labeled file (IEB label-dict, JSONL/JSON/CSV/Parquet with a label field) for clustering; a
    source brings its own settings (``field`` and ``label_field`` are then not used)."""
    if isinstance(path, InstructionSource):
        dataset = path.read(require_labels=True)
        path = path.path
    else:
        dataset = read_instructions(path, field=field, label_field=label_field, require_labels=True)
    return LabeledTexts(Path(path).name, dataset.texts, [str(label) for label in dataset.labels])


def load_ieb(
    data_dir: str | Path | None, cluster_files: Sequence[str | Path] = (), field: str = "instruction"
) -> IEBData:
    """Read ICT and IIS from ``data_dir`` (if given) plus any extra labeled files."""
    ict, pairs = None, None
    if data_dir is not None:
        root = Path(data_dir)
        if not root.is_dir():
            raise DataError(f"{root}: IEB data directory not found")
        for name in (ICT_FILE, IIS_FILE):
            if not (root / name).is_file():
                raise DataError(f"{root / name}: IEB file not found")
        ict = read_labeled(root / ICT_FILE, field=field)
        pairs = read_pairs(root / IIS_FILE)
    clusters = [read_labeled(path, field=field) for path in cluster_files]
    if ict is None and not clusters:
        raise DataError("nothing to benchmark: give an IEB data directory or a labeled file to cluster")
    return IEBData(ict, pairs, clusters)


def evaluate(
    embedder: TextEncoder,
    data: IEBData,
    cache: EmbeddingCache | None = None,
    seeds: int = 1,
) -> BenchmarkResult:
    """Embed every text of ``data`` with ``embedder`` and score all tasks."""
    timings: dict[str, tuple[int, float]] = {}

    def embed(name: str, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        if cache is None:
            vectors, hit = embedder.encode(texts), False
        else:
            vectors, hit = cache.encode(embedder, texts)
        if not hit:
            count, seconds = timings.get(name, (0, 0.0))
            timings[name] = (count + len(texts), seconds + time.perf_counter() - started)
        return vectors

    ict = None
    if data.ict:
        ict = evaluate_clustering(embed("ict", data.ict.texts), data.ict.labels, seeds)
    iis = None
    if data.pairs:
        # one call for both sides: a text on both sides (15% of them) is embedded once
        both = embed("iis", [pair.text1 for pair in data.pairs] + [pair.text2 for pair in data.pairs])
        first, second = both[: len(data.pairs)], both[len(data.pairs) :]
        iis = evaluate_similarity(first, second, [pair.label for pair in data.pairs])
    clusters = {
        labeled.name: evaluate_clustering(embed(labeled.name, labeled.texts), labeled.labels, seeds)
        for labeled in data.clusters
    }
    return BenchmarkResult(embedder.describe(), ict, iis, clusters, timings)


def run_benchmark(
    data: IEBData,
    models: Sequence[str] = ("default",),
    prompts: Sequence[str | None] = (None,),
    poolings: Sequence[str | None] = (None,),
    *,
    cache: EmbeddingCache | None = None,
    seeds: int = 1,
    batch_size: int = DEFAULTS.batch_size,
    normalize: bool = True,
    instruction_tokens_only: bool = False,
    device: str = "cpu",
    precision: str = "fp32",
) -> list[BenchmarkResult]:
    """Every combination of models x prompts x poolings; each model is loaded once. ``precision`` is
    fp32 by default, the reference protocol: bf16 moves single-seed ICT ARI by k-means chance (about
    +-0.03) while the 10-seed mean stays within 0.001 (BENCHMARKS.md, "Speed and scale")."""
    results = []
    for model_name in models:
        if is_static_model(model_name):  # a static model has no prompt or pooling to vary
            results.append(evaluate(StaticEncoder(model_name, normalize=normalize), data, cache, seeds))
            continue
        loaded = load_model(model_name, device=device)
        for prompt, pooling in itertools.product(prompts, poolings):
            embedder = InstructionEmbedder(
                loaded,
                prompt=prompt,
                pooling=pooling,
                normalize=normalize,
                batch_size=batch_size,
                instruction_tokens_only=instruction_tokens_only,
                device=device,
                precision=precision,
            )
            results.append(evaluate(embedder, data, cache, seeds))
    return results
