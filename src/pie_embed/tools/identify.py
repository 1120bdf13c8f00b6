"""Task identification: the task label of an instruction plus the nearest known tasks of a labeled bank."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pie_embed.benchmark.ieb import read_labeled
from pie_embed.data.source import InstructionSource
from pie_embed.embedding.cache import EmbeddingCache
from pie_embed.embedding.encoder import TextEncoder, default_encoder
from pie_embed.embedding.normalize import unit_rows
from pie_embed.errors import ConfigError, DataError
from pie_embed.paths import cache_dir
from pie_embed.tools.neighbors import ExactIndex

# The bank used when the user gives none: 909 known tasks (Super-NaturalInstructions train tasks and
# Self-Instruct seed tasks) shipped inside the package; data/NOTICE.md says where it comes from.
DEFAULT_BANK = Path(__file__).parent / "data" / "task_bank.jsonl"


@dataclass
class NearTask:
    """A known task and the cosine of the instruction to that task's centroid."""

    task: str
    similarity: float
    examples: int


@dataclass
class Identification:
    """What :class:`TaskIdentifier` says about one instruction."""

    text: str
    label: str | None
    rule: str | None
    reason: str | None
    nearest: list[NearTask] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "label": self.label,
            "rule": self.rule,
            "reason": self.reason,
            "nearest": [vars(t) for t in self.nearest],
        }


class TaskBank:
    """Known tasks as unit centroids of their instructions' vectors."""

    def __init__(
        self, tasks: list[str], centroids: np.ndarray, counts: list[int], sources: list[str]
    ) -> None:
        self.tasks = tasks
        self.centroids = centroids
        self.counts = counts
        self.sources = sources
        self._index = ExactIndex(centroids)

    def __len__(self) -> int:
        return len(self.tasks)

    @classmethod
    def from_texts(cls, vectors: np.ndarray, labels: Sequence[str], sources: list[str]) -> TaskBank:
        names = sorted(set(labels))
        position = {name: i for i, name in enumerate(names)}
        sums = np.zeros((len(names), vectors.shape[1]), np.float64)
        counts = np.zeros(len(names), np.int64)
        for vector, label in zip(vectors, labels, strict=True):
            sums[position[label]] += vector
            counts[position[label]] += 1
        return cls(names, unit_rows(sums), counts.tolist(), sources)

    @classmethod
    def from_files(
        cls,
        embedder: TextEncoder,
        paths: Sequence[InstructionSource | str | Path] | None = None,
        *,
        field: str = "instruction",
        label_field: str = "label",
        cache: bool = True,
    ) -> TaskBank:
        """A bank from labeled files (IEB label dicts or rows with ``label_field``); by default the task
        bank shipped with the package (:data:`DEFAULT_BANK`). Vectors are cached on disk by model
        settings and texts."""
        if paths is None:
            paths, field, label_field = [DEFAULT_BANK], "instruction", "label"
        texts: list[str] = []
        labels: list[str] = []
        for path in paths:
            labeled = read_labeled(path, field=field, label_field=label_field)
            texts += labeled.texts
            labels += labeled.labels
        if not texts:
            raise DataError("the task bank is empty")
        # keyed by the encoder's config_key and the texts: only for weights with a content fingerprint
        if cache and embedder.describe().get("model_fingerprint") is not None:
            vectors, _ = EmbeddingCache(cache_dir() / "embeddings").encode(embedder, texts)
        else:
            vectors = embedder.encode(texts)
        names = [str(p.path if isinstance(p, InstructionSource) else p) for p in paths]
        return cls.from_texts(unit_rows(vectors), labels, names)

    def nearest(self, vectors: np.ndarray, top: int) -> list[list[NearTask]]:
        """The ``top`` closest tasks for each unit vector, best first."""
        sims, ids = self._index.search(vectors, min(top, len(self)))
        return [
            [
                NearTask(self.tasks[j], round(float(s), 4), self.counts[j])
                for s, j in zip(row_s, row_i, strict=True)
            ]
            for row_s, row_i in zip(sims, ids, strict=True)
        ]


class TaskIdentifier:
    """Labels instructions with `pie label`'s rules and places them among known tasks.

    >>> identifier = TaskIdentifier()
    >>> identifier.identify(["Translate the sentence into French."])[0].nearest[0].task
    """

    def __init__(
        self,
        embedder: TextEncoder | None = None,
        bank: TaskBank | None = None,
        labeler: Any | None = None,
        *,
        use_labeler: bool = True,
    ) -> None:
        self.embedder = embedder or default_encoder()
        self.bank = bank if bank is not None else TaskBank.from_files(self.embedder)
        if labeler is None and use_labeler:
            from pie_embed.labeling import TaskLabeler

            labeler = TaskLabeler()
        self.labeler = labeler

    def identify(self, texts: Sequence[str], top: int = 5) -> list[Identification]:
        """Label and nearest known tasks for each instruction, in order."""
        if isinstance(texts, str):
            raise ConfigError("identify takes a list of instructions; wrap a single one in a list")
        if top < 1:
            raise ConfigError(f"top must be at least 1, got {top}")
        if not texts:
            return []
        for i, text in enumerate(texts):
            if isinstance(text, str) and not text.strip():
                raise DataError(f"instruction {i + 1} is empty: nothing to identify")
        return self.identify_vectors(texts, self.embedder.encode(list(texts)), top)

    def identify_vectors(
        self, texts: Sequence[str], vectors: np.ndarray, top: int = 5
    ) -> list[Identification]:
        """:meth:`identify` for instructions already embedded with :attr:`embedder` (as the server does)."""
        nearest = self.bank.nearest(unit_rows(vectors), top)
        labels = self.labeler.label_many(list(texts)) if self.labeler is not None else [None] * len(texts)
        return [
            Identification(
                text=text,
                label=None if label is None else label.label,
                rule=None if label is None else label.rule,
                reason=None if label is None else label.reason,
                nearest=near,
            )
            for text, label, near in zip(texts, labels, nearest, strict=True)
        ]
