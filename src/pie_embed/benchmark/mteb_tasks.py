"""IEB through mteb: the instruction clustering task as an mteb custom task, and an mteb encoder over
any pie-embed ``TextEncoder``.

mteb's own clustering task samples documents and scores V-measure with mini-batch k-means; IEB's
protocol is full k-means with k = number of tasks, scored by ARI. ``IEBInstructionClustering`` keeps
mteb's task machinery (metadata, data loading, encoding through mteb's data loaders, results) and scores
with the IEB protocol, so ``mteb.evaluate`` gives the ARI that ``pie bench`` gives.

``MTEBEncoder`` adapts an encoder to mteb's ``EncoderProtocol``, whose ``encode`` takes a data loader
and task metadata; ``InstructionEmbedder.encode`` keeps sentence-transformers' signature, and mteb
wraps sentence-transformers models the same way. Needs the ``mteb`` extra.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pie_embed.benchmark.files import ICT_FILE
from pie_embed.benchmark.ieb import read_labeled
from pie_embed.benchmark.tasks import evaluate_clustering
from pie_embed.embedding.encoder import TextEncoder
from pie_embed.errors import MissingExtraError

try:
    from datasets import Dataset, DatasetDict
    from mteb.abstasks.clustering import AbsTaskClustering
    from mteb.abstasks.task_metadata import TaskMetadata
    from mteb.models.model_meta import ModelMeta
except ImportError:  # pragma: no cover - the message names the extra
    raise MissingExtraError("mteb", "mteb") from None

__all__ = ["IEBInstructionClustering", "MTEBEncoder", "ieb_clustering_task"]


class MTEBEncoder:
    """mteb's ``EncoderProtocol`` over a pie-embed ``TextEncoder`` (an ``InstructionEmbedder``, a Ray
    pool, ...): texts from mteb's data loader in, the encoder's vectors out."""

    def __init__(self, encoder: TextEncoder, name: str | None = None) -> None:
        self.encoder = encoder
        self.name = name or str(encoder.describe().get("model", "pie-embed"))

    def encode(
        self,
        inputs: Any,
        *,
        task_metadata: Any = None,
        hf_split: str = "",
        hf_subset: str = "",
        prompt_type: Any = None,
        **kwargs: Any,
    ) -> np.ndarray:
        texts = [text for batch in inputs for text in batch["text"]]
        return self.encoder.encode(texts, show_progress_bar=False)

    def similarity(self, embeddings1: Any, embeddings2: Any) -> np.ndarray:
        first, second = np.asarray(embeddings1, np.float32), np.asarray(embeddings2, np.float32)
        return _unit(first) @ _unit(second).T

    def similarity_pairwise(self, embeddings1: Any, embeddings2: Any) -> np.ndarray:
        first, second = np.asarray(embeddings1, np.float32), np.asarray(embeddings2, np.float32)
        return np.einsum("ij,ij->i", _unit(first), _unit(second))

    @property
    def mteb_model_meta(self) -> ModelMeta:
        return ModelMeta.create_empty({"name": f"pie-embed/{Path(self.name).name}", "revision": "local"})


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)


class IEBInstructionClustering(AbsTaskClustering):
    """IEB's instruction clustering test (ICT) as an mteb task, read from a local IEB folder."""

    data_dir: Path = Path("../shared/ieb")
    seeds: int = 1
    max_fraction_of_documents_to_embed = None
    metadata = TaskMetadata(
        name="IEBInstructionClustering",
        description="Instruction Embedding Benchmark, instruction clustering test: instructions grouped "
        "by the task they ask for (verb|noun); k-means with k = number of tasks, scored by ARI.",
        reference="https://arxiv.org/abs/2409.19680",
        dataset={"path": "local/ieb", "revision": "local"},
        type="Clustering",
        category="t2c",
        modalities=["text"],
        eval_splits=["test"],
        eval_langs=["eng-Latn"],
        main_score="ari",
        date=("2024-01-01", "2024-12-31"),
        domains=[],
        task_subtypes=[],
        license="not specified",
        annotations_creators="derived",
        dialect=[],
        sample_creation="found",
        bibtex_citation="",
    )

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        labeled = read_labeled(Path(self.data_dir) / ICT_FILE)
        self.dataset = DatasetDict(
            {"test": Dataset.from_dict({"sentences": labeled.texts, "labels": labeled.labels})}
        )
        self.data_loaded = True

    def _evaluate_subset(
        self, model: Any, data_split: Any, *, encode_kwargs: Any, hf_split: str, hf_subset: str, **kwargs: Any
    ) -> dict[str, Any]:
        from mteb._create_dataloaders import create_dataloader

        loader = create_dataloader(
            data_split, task_metadata=self.metadata, input_column="sentences", **encode_kwargs
        )
        vectors = model.encode(
            loader, task_metadata=self.metadata, hf_split=hf_split, hf_subset=hf_subset, **encode_kwargs
        )
        result = evaluate_clustering(
            _unit(np.asarray(vectors, np.float32)), list(data_split["labels"]), self.seeds
        )
        return {
            "ari": result.scores.ari,
            "ari_mean": result.ari_mean,
            "ari_std": result.ari_std,
            "main_score": result.scores.ari,
        }


def ieb_clustering_task(data_dir: str | Path, seeds: int = 1) -> IEBInstructionClustering:
    """The ICT task over the IEB files in ``data_dir`` (ARI at seed 0, and the mean over ``seeds``)."""
    task = IEBInstructionClustering()
    task.data_dir, task.seeds = Path(data_dir), seeds
    return task
