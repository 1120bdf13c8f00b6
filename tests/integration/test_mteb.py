"""IEB's instruction clustering run through mteb gives the ARI that `pie bench` gives."""

from __future__ import annotations

from pathlib import Path

import mteb  # the mteb extra; install.sh --dev installs it
import numpy as np
import pytest

from pie_embed.benchmark import IEBData
from pie_embed.benchmark.tasks import evaluate_clustering
from pie_embed.embedding.cache import EmbeddingCache
from pie_embed.embedding.embedder import InstructionEmbedder


class CachedMiniLM:
    """The shared real model through the run's embedding cache (a TextEncoder like any other)."""

    def __init__(self, embedder: InstructionEmbedder, cache: EmbeddingCache) -> None:
        self.embedder, self.cache, self.calls = embedder, cache, 0

    def encode(self, sentences, batch_size=None, show_progress_bar=None, normalize_embeddings=None):
        self.calls += 1
        return self.cache.encode(self.embedder, list(sentences))[0]

    def describe(self) -> dict[str, object]:
        return self.embedder.describe()


def test_ict_through_mteb_matches_pie_bench(
    minilm: InstructionEmbedder, embedding_cache: EmbeddingCache, ieb: IEBData, ieb_dir: Path
) -> None:
    from mteb.models import EncoderProtocol

    from pie_embed.benchmark.mteb_tasks import MTEBEncoder, ieb_clustering_task

    encoder = MTEBEncoder(CachedMiniLM(minilm, embedding_cache))
    assert isinstance(encoder, EncoderProtocol)
    task = ieb_clustering_task(ieb_dir, seeds=3)
    result = mteb.evaluate(encoder, task, cache=None, show_progress_bar=False)
    (scores,) = result.task_results[0].scores["test"]
    assert encoder.encoder.calls == 1  # every ICT text in one call, as pie bench embeds them

    assert ieb.ict is not None
    vectors, _ = embedding_cache.encode(minilm, ieb.ict.texts)
    ours = evaluate_clustering(vectors, ieb.ict.labels, seeds=3)
    assert scores["main_score"] == pytest.approx(ours.scores.ari, abs=1e-9)
    assert scores["ari_mean"] == pytest.approx(ours.ari_mean, abs=1e-9)
    assert scores["ari"] == pytest.approx(0.483, abs=0.005)  # the reference protocol's anchor
    pair = encoder.similarity_pairwise(vectors[:2], vectors[:2])
    np.testing.assert_allclose(pair, 1.0, atol=1e-5)
