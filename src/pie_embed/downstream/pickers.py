"""How the in-context-learning benchmark chooses each query's demonstrations: one
:class:`DemonstrationPicker` per condition (none, random, oracle, BM25, an embedding model)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from pie_embed.data.readers import join_text
from pie_embed.data.source import InstructionSource
from pie_embed.downstream.induction import ICLSplit
from pie_embed.embedding.encoder import TextEncoder
from pie_embed.extras import require_extra

ZERO_SHOT = "zero-shot"
RANDOM = "random"
ORACLE = "oracle"
BM25 = "bm25"


@runtime_checkable
class DemonstrationPicker(Protocol):
    """Picks ``k`` pool rows for each query of a split (row indices into ``split.pool``, best first)."""

    name: str

    def pick(self, split: ICLSplit, k: int) -> list[list[int]]: ...


class ZeroShotPicker:
    """No demonstrations: the floor."""

    name = ZERO_SHOT

    def pick(self, split: ICLSplit, k: int) -> list[list[int]]:
        return [[] for _ in split.queries]


class RandomPicker:
    """``k`` pool rows drawn at random (seeded), distractors included."""

    name = RANDOM

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def pick(self, split: ICLSplit, k: int) -> list[list[int]]:
        rng = np.random.default_rng([self.seed, 1])
        return [rng.choice(len(split.pool), size=k, replace=False).tolist() for _ in split.queries]


class OraclePicker:
    """``k`` random pool rows of the query's own task: what a perfect task retriever could pick."""

    name = ORACLE

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def pick(self, split: ICLSplit, k: int) -> list[list[int]]:
        rng = np.random.default_rng([self.seed, 2])
        by_task = split.task_pool_rows()
        picks = []
        for query in split.queries:
            rows = by_task[query["task"]]
            picks.append(rng.choice(rows, size=min(k, len(rows)), replace=False).tolist())
        return picks


class BM25Picker:
    """Okapi BM25 over the pool's instruction + input (bm25s, English stopwords removed)."""

    name = BM25

    def pick(self, split: ICLSplit, k: int) -> list[list[int]]:
        require_extra("downstream")
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets DEBUG on import
        corpus = [join_text(row["instruction"], row["input"], "newline") for row in split.pool]
        retriever = bm25s.BM25()
        retriever.index(bm25s.tokenize(corpus, stopwords="en", show_progress=False), show_progress=False)
        queries = bm25s.tokenize(split.query_texts, stopwords="en", show_progress=False)
        ids, _ = retriever.retrieve(queries, k=k, show_progress=False, n_threads=1)
        return [[int(j) for j in row] for row in ids]


class EmbeddingPicker:
    """The ``k`` nearest pool rows under an embedding model, through :class:`DemonstrationIndex`
    (the pool's instruction and input joined by a newline, as the queries are)."""

    def __init__(self, model: str, pool_file: str | Path, *, show_progress: bool = False) -> None:
        """``pool_file``: the split's pool as :meth:`ICLSplit.write_pool` wrote it."""
        self.name = model
        self.model = model
        self.pool_file = Path(pool_file)
        self.show_progress = show_progress

    def pick(self, split: ICLSplit, k: int) -> list[list[int]]:
        from pie_embed.tools.retrieve import DemonstrationIndex

        index = DemonstrationIndex.build(
            InstructionSource(self.pool_file, join="newline"),
            embedder=make_model_encoder(self.model),
            show_progress=self.show_progress,
        )
        found = index.retrieve(split.query_texts, k=k, show_progress=self.show_progress)
        return [[d.pool_row for d in demos] for demos in found]


class OneModelAtATime:
    """``embed(model, texts)``: vectors under ``model`` (fp32, the benchmark protocol), keeping only the
    last model's encoder loaded."""

    def __init__(self) -> None:
        self.loaded: dict[str, TextEncoder] = {}

    def __call__(self, model: str, texts: list[str]) -> np.ndarray:
        if model not in self.loaded:
            self.loaded.clear()
            self.loaded[model] = make_model_encoder(model)
        return self.loaded[model].encode(texts)


def make_model_encoder(model: str) -> TextEncoder:
    from pie_embed.embedding.config import EmbedderConfig
    from pie_embed.embedding.encoder import make_encoder

    return make_encoder(EmbedderConfig(model=model, precision="fp32"))


def same_task_precision(split: ICLSplit, picks: list[list[int]]) -> np.ndarray:
    """Per query, the share of its picks that are of its own task (distractors count as misses)."""
    return np.asarray(
        [
            sum(split.pool[j]["task"] == q["task"] for j in row) / len(row) if row else np.nan
            for q, row in zip(split.queries, picks, strict=True)
        ],
        np.float64,
    )
