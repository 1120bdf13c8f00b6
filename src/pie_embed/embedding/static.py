"""The static tier: a model2vec table of token vectors, averaged per text, thousands of times faster than
a transformer on a CPU (docs/scale.md, "Static tier").

A static model is built once from a transformer teacher (``pie static build``, see
:mod:`pie_embed.training.static`) into the cache, and loads by alias with no teacher: ``StaticEncoder``
is a :class:`~pie_embed.embedding.encoder.TextEncoder`, so every tool takes it. Needs the ``static``
extra (model2vec).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pie_embed.data.text import checked_text
from pie_embed.embedding.stats import EncodeStats
from pie_embed.errors import ConfigError, DataError, MissingExtraError, ModelNotFoundError

__all__ = ["STATIC_MODELS", "StaticEncoder", "StaticRecipe", "is_static_model", "static_model_dir"]

RECIPE_FILE = "pie_static.json"


@dataclass(frozen=True)
class StaticRecipe:
    """How a static model is made: model2vec's distillation of ``teacher`` over its vocabulary, then the
    table fitted to the teacher's own vectors of instruction corpora (``epochs`` passes; the loss is
    cosine distance plus ``contrastive_weight`` x an in-batch InfoNCE at ``temperature``), projected on
    its top ``dimensions`` right singular vectors (None: the teacher's dimension)."""

    alias: str
    teacher: str = "default"
    epochs: int = 5
    learning_rate: float = 1e-3
    batch_size: int = 256
    contrastive_weight: float = 0.1
    temperature: float = 0.05
    max_tokens: int = 256
    dimensions: int | None = 256
    seed: int = 0

    @property
    def key(self) -> str:
        """A short hash of the recipe, part of the cache folder's name."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]


STATIC_MODELS: dict[str, StaticRecipe] = {"pie-static": StaticRecipe("pie-static")}


# --fast switches to the static tier from this many rows: the transformer needs minutes there (~200-450
# rows/s on 2 cores), the static model about a second
FAST_FROM = 50_000
FAST_MODEL = "pie-static"


def fast_model(model: str, default: str, rows: int) -> tuple[str, str]:
    """The model ``--fast`` runs on ``rows`` rows, and the line that says why: the static tier when the
    user left the model at ``default`` and the input has at least :data:`FAST_FROM` rows."""
    if model != default:
        return model, f"--fast: keeping the model you named, {model}"
    if rows < FAST_FROM:
        return model, f"--fast: {rows:,} rows (under {FAST_FROM:,}): keeping the default model"
    return FAST_MODEL, f"--fast: {rows:,} rows (at least {FAST_FROM:,}): using the static tier {FAST_MODEL}"


def is_static_model(name: str) -> bool:
    """Whether ``name`` is a static alias or a folder holding a built static model."""
    return name in STATIC_MODELS or (Path(name) / RECIPE_FILE).is_file()


def static_model_dir(recipe: StaticRecipe, cache_dir: Path | None = None) -> Path:
    """Where ``recipe``'s model lives in the cache (``<cache>/static/<alias>-<recipe key>``)."""
    from pie_embed.paths import cache_dir as default_cache_dir

    return (cache_dir or default_cache_dir()) / "static" / f"{recipe.alias}-{recipe.key}"


def require_model2vec() -> Any:
    """The model2vec package, or an error naming the ``static`` extra."""
    try:
        import model2vec
    except ImportError:
        raise MissingExtraError("model2vec", "static") from None
    return model2vec


class StaticEncoder:
    """Texts in, the mean of their tokens' static vectors out (unit length by default).

    >>> encoder = StaticEncoder("pie-static")  # after `pie static build --data DIR`
    >>> vectors = encoder.encode(["Summarize the article.", "Translate this into French."])
    """

    def __init__(
        self, model: str | Path = "pie-static", *, cache_dir: Path | None = None, normalize: bool = True
    ) -> None:
        name = str(model)
        if name in STATIC_MODELS:
            folder = static_model_dir(STATIC_MODELS[name], cache_dir)
            if not (folder / RECIPE_FILE).is_file():
                raise ModelNotFoundError(
                    f"static model {name!r} is not built yet: run `pie static build --data DIR` (DIR holds "
                    "corpora/, ieb/ and train_other/, such as ../shared); it takes a few minutes, once"
                )
        elif (Path(name) / RECIPE_FILE).is_file():
            folder = Path(name)
        else:
            raise ModelNotFoundError(
                f"{name}: neither a static alias ({', '.join(STATIC_MODELS)}) nor a folder"
            )
        self.folder = folder
        self.info: dict[str, Any] = json.loads((folder / RECIPE_FILE).read_text(encoding="utf-8"))
        self.model = require_model2vec().StaticModel.from_pretrained(str(folder))
        self.name = name
        self.normalize = normalize

    @property
    def model_name(self) -> str:
        return self.name

    @property
    def dimension(self) -> int:
        return int(self.model.embedding.shape[1])

    @property
    def config_key(self) -> str:
        """What changes the vectors (the built table and normalization), for the embedding cache."""
        return hashlib.sha256(
            f"static\x00{self.info['fingerprint']}\x00{self.normalize}".encode()
        ).hexdigest()[:16]

    def describe(self) -> dict[str, object]:
        return {
            "model": self.name,
            "model_fingerprint": self.info["fingerprint"],
            "family": "static",
            "teacher": self.info["recipe"]["teacher"],
            "prompt": "none",
            "prompt_template": "{instruction}",
            "pooling": "static-mean",
            "normalize": self.normalize,
            "instruction_tokens_only": False,
            "max_length": self.model.max_length,
            "dimension": self.dimension,
            "precision": "fp32",
        }

    def encode_with_stats(
        self,
        texts: Sequence[str],
        batch_size: int | None = None,
        show_progress_bar: bool | None = None,
        normalize_embeddings: bool | None = None,
    ) -> tuple[np.ndarray, EncodeStats]:
        """:meth:`encode` for a list of texts, with what the call did (tokens per text, truncations)."""
        started = time.perf_counter()
        vectors = self.encode(list(texts), batch_size, show_progress_bar, normalize_embeddings)
        limit = self.model.max_length or 0
        encodings = self.model.tokenizer.encode_batch_fast(list(texts), add_special_tokens=False)
        counts = [len(encoding.ids) for encoding in encodings]
        tokens = [min(count, limit) if limit else count for count in counts]
        truncated = sum(1 for count in counts if limit and count > limit)
        batches = -(-len(texts) // (batch_size or 1024))
        seconds = time.perf_counter() - started
        return vectors, EncodeStats(len(texts), len(set(texts)), truncated, batches, seconds, tokens)

    def encode(
        self,
        sentences: str | Sequence[str],
        batch_size: int | None = None,
        show_progress_bar: bool | None = None,
        normalize_embeddings: bool | None = None,
    ) -> np.ndarray:
        """float32 vectors [n, dimension] in input order (one string: [dimension])."""
        texts = [sentences] if isinstance(sentences, str) else list(sentences)
        for i, text in enumerate(texts):  # the project's one odd-text rule, as InstructionEmbedder applies it
            texts[i] = checked_text(text, i)
            if not texts[i].strip():
                raise DataError(f"text {i} is an empty instruction")
        if batch_size is not None and batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
        normalize = self.normalize if normalize_embeddings is None else normalize_embeddings
        vectors = self.model.encode(
            texts,
            show_progress_bar=bool(show_progress_bar),
            normalize=normalize,
            batch_size=batch_size or 1024,
            use_multiprocessing=False,
        )
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)
        return vectors[0] if isinstance(sentences, str) else vectors
