"""Demonstration retrieval for in-context learning: a persisted neighbour index over a pool of examples.

An index folder holds ``index.json`` (how it was made), ``vectors.npy`` with its manifest,
``records.jsonl`` (every pool row with its text and label) and, for large pools, ``hnsw.faiss``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pie_embed.data.atomic import atomic_directory, atomic_write_text
from pie_embed.data.checksums import texts_sha256
from pie_embed.data.embeddings import read_embeddings, write_embeddings
from pie_embed.data.manifest import EmbeddingManifest
from pie_embed.data.readers import InstructionDataset
from pie_embed.data.source import InstructionSource, as_source
from pie_embed.embedding.config import EmbedderConfig
from pie_embed.embedding.encoder import TextEncoder, default_encoder, make_encoder
from pie_embed.embedding.normalize import unit_rows
from pie_embed.errors import ConfigError, DataError
from pie_embed.tools.neighbors import (
    EXACT_BELOW,
    ExactIndex,
    FaissHNSWIndex,
    NeighborIndex,
    build_index,
    search_excluding,
)
from pie_embed.tools.vectors import embed_dataset

# what query vectors must share with the pool's to be comparable
QUERY_SETTINGS = ("model_fingerprint", "prompt_template", "pooling", "max_length", "instruction_tokens_only")
INDEX_FORMAT = "pie-embed-index"
INDEX_VERSION = 1
ALPACA_HEADER = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request."
)


@dataclass
class Demonstration:
    """One retrieved pool row."""

    rank: int
    pool_row: int
    similarity: float
    text: str
    label: str | None
    row: dict[str, Any]


def alpaca_block(instruction: str, input_text: str, response: str) -> str:
    """One example in the Alpaca template (the ``### Input`` part only when there is an input)."""
    parts = [f"### Instruction:\n{instruction}"]
    if input_text:
        parts.append(f"### Input:\n{input_text}")
    parts.append(f"### Response:\n{response}")
    return "\n\n".join(parts)


def few_shot_prompt(
    query: dict[str, Any],
    demonstrations: list[Demonstration],
    *,
    field: str = "instruction",
    input_field: str = "input",
    output_field: str = "output",
) -> str:
    """An Alpaca-style few-shot prompt: the header, the demonstrations with their answers, the query."""

    def text(row: dict[str, Any], name: str) -> str:
        value = row.get(name)
        return "" if value is None else str(value)

    blocks = [ALPACA_HEADER]
    for demo in demonstrations:
        blocks.append(
            alpaca_block(text(demo.row, field), text(demo.row, input_field), text(demo.row, output_field))
        )
    blocks.append(alpaca_block(text(query, field), text(query, input_field), ""))
    return "\n\n".join(blocks)


class DemonstrationIndex:
    """A pool of examples, their vectors and a neighbour index, with the embedder settings that made them.

    >>> index = DemonstrationIndex.build("pool.jsonl")
    >>> index.save("pool.index")
    >>> DemonstrationIndex.load("pool.index").retrieve(["Translate to German: good night"], k=4)
    """

    def __init__(
        self,
        vectors: np.ndarray,
        records: list[dict[str, Any]],
        settings: dict[str, Any],
        index: NeighborIndex,
    ) -> None:
        self.vectors = vectors
        self.records = records
        self.settings = settings
        self.index = index
        self._embedder: TextEncoder | None = None

    def __len__(self) -> int:
        return len(self.records)

    @classmethod
    def build(
        cls,
        pool: InstructionSource | str | Path,
        *,
        embedder: TextEncoder | None = None,
        exact_below: int = EXACT_BELOW,
        show_progress: bool = False,
        **reader_options: Any,
    ) -> DemonstrationIndex:
        """Embed every row of ``pool`` and index it (exact below ``exact_below`` rows, faiss HNSW above)."""
        source = as_source(pool, reader_options, caller="DemonstrationIndex.build")
        embedder = embedder or default_encoder()
        data = embed_dataset(source, embedder=embedder, show_progress=show_progress)
        settings = {
            **embedder.describe(),  # includes prompt_template, which query embedding needs
            "field": source.field,
            "input_field": source.input_field,
            "join": source.join,
            "source": str(source.path),
        }
        index = cls(
            data.vectors,
            _pool_records(data.dataset),
            settings,
            build_index(data.vectors, exact_below=exact_below),
        )
        index._embedder = embedder
        return index

    def made_by(self, embedder: TextEncoder) -> bool:
        """Whether ``embedder`` has the settings that made the pool's vectors (so it can embed queries)."""
        described = embedder.describe()
        return all(self.settings.get(key) == described.get(key) for key in QUERY_SETTINGS)

    def use_embedder(self, embedder: TextEncoder) -> None:
        """Embed queries with an already loaded ``embedder`` instead of loading the index's own."""
        if not self.made_by(embedder):
            raise ConfigError(
                f"embedder {embedder.model_name!r} does not match the settings this index was built with "
                f"(model {self.settings.get('model')!r}, pooling {self.settings.get('pooling')!r})"
            )
        self._embedder = embedder

    def embedder(self) -> TextEncoder:
        """The embedder that made the pool's vectors (loaded on first use)."""
        if self._embedder is None:
            s = self.settings
            config = EmbedderConfig(
                model=str(s["model"]),
                prompt=str(s["prompt_template"]),
                pooling=str(s["pooling"]),
                max_length=None if s["max_length"] is None else int(s["max_length"]),
                precision=str(s.get("precision", "fp32")),
                instruction_tokens_only=bool(s.get("instruction_tokens_only", False)),
            )
            self._embedder = make_encoder(config)  # a static model by name, else the transformer
        return self._embedder

    def search(
        self, vectors: np.ndarray, k: int, exclude: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` pool rows for unit query ``vectors``; query i never gets pool row ``exclude[i]``."""
        if exclude is not None:
            return search_excluding(self.index, vectors, k, exclude)
        return self.index.search(vectors, min(k, len(self)))

    def retrieve(
        self, queries: list[str], k: int = 4, show_progress: bool = False
    ) -> list[list[Demonstration]]:
        """Top-``k`` demonstrations for each query text, best first."""
        if k < 1:
            raise DataError(f"k must be at least 1, got {k}")
        return self.demonstrations(self.embedder().encode(queries, show_progress_bar=show_progress), k)

    def demonstrations(self, vectors: np.ndarray, k: int) -> list[list[Demonstration]]:
        """Top-``k`` demonstrations for query vectors made by :meth:`embedder`, best first."""
        if k < 1:
            raise DataError(f"k must be at least 1, got {k}")
        sims, ids = self.search(unit_rows(vectors), k)
        return [
            [
                Demonstration(
                    rank=rank + 1,
                    pool_row=int(j),
                    similarity=float(s),
                    text=self.records[j]["text"],
                    label=self.records[j]["label"],
                    row=self.records[j]["row"],
                )
                for rank, (s, j) in enumerate(zip(row_sims, row_ids, strict=True))
                if j >= 0
            ]
            for row_sims, row_ids in zip(sims, ids, strict=True)
        ]

    def prompt(self, query: str, demonstrations: list[Demonstration]) -> str:
        """The Alpaca few-shot prompt of ``demonstrations`` and the query text (the pool's own fields)."""
        field, input_field = str(self.settings["field"]), str(self.settings["input_field"])
        return few_shot_prompt({field: query}, demonstrations, field=field, input_field=input_field)

    def save(self, folder: str | Path) -> Path:
        """Write the index folder atomically (a temporary folder renamed into place)."""
        folder = Path(folder)
        with atomic_directory(folder) as temp:
            texts = [r["text"] for r in self.records]
            manifest = EmbeddingManifest(
                model=str(self.settings["model"]),
                prompt=str(self.settings["prompt"]),
                pooling=str(self.settings["pooling"]),
                normalize=True,
                dimension=0,
                count=0,
                texts_sha256="",
                embeddings_sha256="",
                source=str(self.settings.get("source")),
            )
            write_embeddings(temp / "vectors.npy", self.vectors, manifest, texts=texts)
            with open(temp / "records.jsonl", "w", encoding="utf-8") as stream:
                for record in self.records:
                    stream.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            if isinstance(self.index, FaissHNSWIndex):
                self.index.save(temp / "hnsw.faiss")
            meta = {
                "format": INDEX_FORMAT,
                "version": INDEX_VERSION,
                "kind": self.index.kind,
                "count": len(self),
                "settings": self.settings,
            }
            (temp / "index.json").write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> DemonstrationIndex:
        """Read an index folder written by :meth:`save`, checking its parts agree."""
        folder = Path(folder)
        meta_path = folder / "index.json"
        if not meta_path.is_file():
            raise DataError(
                f"{folder}: not a pie-embed index (no index.json); build one with pie index build"
            )
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(f"{meta_path}: invalid JSON: {exc.msg} (line {exc.lineno})") from None
        if meta.get("format") != INDEX_FORMAT or meta.get("version") != INDEX_VERSION:
            raise DataError(f"{meta_path}: not a version {INDEX_VERSION} {INDEX_FORMAT} file")
        vectors, manifest = read_embeddings(folder / "vectors.npy")
        records = []
        with open(folder / "records.jsonl", encoding="utf-8") as stream:
            for number, line in enumerate(stream, start=1):
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise DataError(
                        f"{folder / 'records.jsonl'}: line {number}: invalid JSON: {exc.msg}"
                    ) from None
        if (
            len(records) != len(vectors)
            or texts_sha256([r["text"] for r in records]) != manifest.texts_sha256
        ):
            raise DataError(f"{folder}: records.jsonl does not match vectors.npy (index folder changed?)")
        if meta.get("kind") == "faiss-hnsw":
            index: NeighborIndex = FaissHNSWIndex.load(folder / "hnsw.faiss")
        else:
            index = ExactIndex(vectors)
        return cls(vectors, records, meta["settings"], index)


def _pool_records(dataset: InstructionDataset) -> list[dict[str, Any]]:
    return [{"text": r.text, "label": r.label, "row": r.row} for r in dataset.records]


def leave_one_out_precision(vectors: np.ndarray, labels: list[str], k: int) -> float:
    """Mean share of the top-``k`` neighbours (the row itself left out) that carry the row's label."""
    unit = unit_rows(vectors)
    _, ids = search_excluding(ExactIndex(unit), unit, k, np.arange(len(unit)))
    hits = sum(labels[j] == labels[i] for i, row in enumerate(ids) for j in row)
    return hits / (k * len(labels))


def random_precision(labels: list[str], k: int, seed: int = 0) -> float:
    """The same measure for ``k`` demonstrations drawn at random from the rest of the pool."""
    rng = np.random.default_rng(seed)
    n = len(labels)
    hits = 0
    for i in range(n):
        picks = rng.choice(n - 1, size=k, replace=False)
        picks = picks + (picks >= i)
        hits += sum(labels[j] == labels[i] for j in picks)
    return hits / (k * n)


@dataclass
class RetrievalRun:
    """What :func:`retrieve_file` produced: one JSON-ready record and one prompt per query."""

    records: list[dict[str, Any]]
    prompts: list[str]


def retrieve_file(
    index: DemonstrationIndex,
    queries: InstructionSource | str | Path,
    k: int = 4,
    *,
    output: str | Path | None = None,
    prompts_path: str | Path | None = None,
    output_field: str = "output",
    show_progress: bool = False,
    **reader_options: Any,
) -> RetrievalRun:
    """Retrieve ``k`` demonstrations for every row of ``queries``; write JSONL to ``output`` and the
    few-shot prompts, separated by a rule, to ``prompts_path`` (each only when given). Queries are
    joined with their input as the pool was."""
    source = as_source(queries, reader_options, caller="retrieve_file")
    pool_join = str(index.settings["join"])
    if source.join not in ("none", pool_join):
        raise ConfigError(
            f"{source.path}: queries are joined with their input as the pool was ({pool_join!r}), "
            f"not {source.join!r}: leave the join out"
        )
    source = source.replace(join=pool_join)
    field, input_field = source.field, source.input_field
    dataset = source.check().read()
    found = index.retrieve(dataset.texts, k=k, show_progress=show_progress)
    records, prompts = [], []
    for record, demos in zip(dataset.records, found, strict=True):
        prompt = few_shot_prompt(
            record.row, demos, field=field, input_field=input_field, output_field=output_field
        )
        prompts.append(prompt)
        records.append(
            {
                "query": record.text,
                "line": record.line,
                "demonstrations": [vars(d) for d in demos],
                "prompt": prompt,
            }
        )
    if output is not None:
        lines = (json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records)
        atomic_write_text(Path(output), "".join(lines))
    if prompts_path is not None:
        atomic_write_text(Path(prompts_path), ("\n\n" + "=" * 80 + "\n\n").join(prompts) + "\n")
    return RetrievalRun(records, prompts)
