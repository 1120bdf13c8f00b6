"""The real models, loaded once for every integration test: the shipped default (pie-general) and its
base all-MiniLM-L6-v2 (the paper's reference protocol); and one embedding cache, so that the IEB texts
are embedded once per model and run however many tests score them."""

from __future__ import annotations

from pathlib import Path

import pytest

from pie_embed import InstructionEmbedder
from pie_embed.benchmark import IEBData, load_ieb
from pie_embed.embedding.cache import EmbeddingCache


@pytest.fixture(scope="session")
def minilm() -> InstructionEmbedder:
    return InstructionEmbedder("all-minilm-l6-v2", batch_size=64, precision="fp32")  # the reference protocol


@pytest.fixture(scope="session")
def default_model() -> InstructionEmbedder:
    return InstructionEmbedder("default", batch_size=64, precision="fp32")  # pie-general, shipped


@pytest.fixture(scope="session")
def embedding_cache(tmp_path_factory: pytest.TempPathFactory) -> EmbeddingCache:
    return EmbeddingCache(tmp_path_factory.mktemp("embeddings"))


@pytest.fixture(scope="session")
def ieb(ieb_dir: Path) -> IEBData:
    return load_ieb(ieb_dir)
