"""On-disk cache of embeddings, keyed by the embedder's settings and the texts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pie_embed.data.atomic import atomic_write
from pie_embed.data.checksums import texts_sha256
from pie_embed.embedding.protocol import TextEncoder


class EmbeddingCache:
    """Stores each (settings, texts) result as one ``.npy`` file; writes are atomic (temp file, then
    rename), so concurrent runs never see a partial file and at worst compute the same thing twice."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path_for(self, embedder: TextEncoder, texts: Sequence[str]) -> Path:
        return self.root / embedder.config_key / f"{texts_sha256(texts)[:32]}.npy"

    def encode(
        self, embedder: TextEncoder, texts: Sequence[str], show_progress_bar: bool | None = None
    ) -> tuple[np.ndarray, bool]:
        """Embeddings of ``texts``, from the cache when present; the flag says whether it was a hit."""
        path = self.path_for(embedder, texts)
        if path.is_file():
            cached = np.load(path)
            if cached.shape == (len(texts), embedder.dimension):
                return cached, True
        vectors = embedder.encode(texts, show_progress_bar=show_progress_bar)
        atomic_write(path, lambda stream: np.save(stream, vectors))
        return vectors, False
