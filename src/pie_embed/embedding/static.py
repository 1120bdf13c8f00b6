"""The static tier: a model2vec table of token vectors, averaged per text, thousands of times faster than
a transformer on a CPU (docs/scale.md, "Static tier").

``pie-static`` ships inside the package as one safetensors file (the table in int8 with a scale per row,
the tokenizer, and a model card in the metadata), distilled from the shipped default model: it loads
with no teacher and no build step. ``pie static build`` rebuilds it (:mod:`pie_embed.training.static`)
into the cache; the folder or its ``.safetensors`` file loads by path. ``StaticEncoder`` is a
:class:`~pie_embed.embedding.encoder.TextEncoder`, so every tool takes it. Needs the ``static`` extra
(model2vec).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from pie_embed.embedding.protocol import EncoderBase
from pie_embed.embedding.shipped import CARD_KEY, file_digest, shipped_data_path
from pie_embed.embedding.stats import EncodeStats
from pie_embed.errors import ConfigError, ModelNotFoundError
from pie_embed.extras import import_extra
from pie_embed.progress import progress_bar

__all__ = [
    "SHIPPED_STATIC",
    "STATIC_MODELS",
    "StaticEncoder",
    "StaticRecipe",
    "is_static_model",
    "read_static_file",
    "static_fingerprint",
    "static_model_dir",
    "write_static_file",
]

RECIPE_FILE = "pie_static.json"
DEFAULT_BATCH = 4096  # texts per tokenizer call: fewer, larger calls keep both cores busy


@dataclass(frozen=True)
class StaticRecipe:
    """How a static model is made: model2vec's distillation of ``teacher`` over its vocabulary, then the
    table fitted to the teacher's own vectors of instruction corpora (``epochs`` passes; the loss is
    cosine distance plus ``contrastive_weight`` x an in-batch InfoNCE at ``temperature``), projected on
    its top ``dimensions`` right singular vectors (None: the teacher's dimension). A text is read up to
    ``max_tokens`` tokens, in the fit and when encoding (encoding also drops unknown tokens and cuts
    very long texts by characters first, as model2vec does; the fit does neither, which touches at
    most 81 of its 50,381 texts)."""

    alias: str
    teacher: str = "pie-general"
    epochs: int = 10
    learning_rate: float = 1e-3
    batch_size: int = 256
    contrastive_weight: float = 0.1
    temperature: float = 0.05
    max_tokens: int = 256
    dimensions: int | None = 256
    # how the one-file form stores the table: int4 or int8 (a scale per row) or fp32; int4 keeps the
    # panel within the fit-seed spread at 256 dimensions in 4.2 MB (benchmarks/static_dimensions.py)
    quantize: str = "int4"
    seed: int = 0

    @property
    def key(self) -> str:
        """A short hash of the recipe and of the teacher's weights (not its alias, which may move to
        other weights), part of the cache folder's name."""
        from pie_embed.embedding.models import model_fingerprint

        record = {**asdict(self), "teacher_fingerprint": model_fingerprint(self.teacher)}
        return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:12]


# the recipe of the shipped table (benchmarks/static_dimensions.py chose its size)
STATIC_MODELS: dict[str, StaticRecipe] = {"pie-static": StaticRecipe("pie-static")}
SHIPPED_STATIC: dict[str, str] = {"pie-static": "pie-static.safetensors"}  # alias -> package data file
TABLE_KEY, SCALES_KEY, TOKENIZER_KEY = "embeddings", "scales", "tokenizer"
STORAGE_KEY = "pie_embed_storage"  # metadata: how TABLE_KEY holds the table
LEVELS = {"int8": 127, "int4": 7}  # symmetric levels per row: q in [-L, L], value = q x scale


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
    """Whether ``name`` is a static alias, a folder holding a built static model or a static file."""
    path = Path(name).expanduser()
    if name in STATIC_MODELS or (path / RECIPE_FILE).is_file():
        return True
    return name.endswith(".safetensors") and path.is_file() and _is_static_file(path)


def static_fingerprint(name: str) -> str:
    """What identifies a static model's table: the file's content for a shipped alias or a
    ``.safetensors`` file, the recorded weights hash for a built folder (as ``describe()`` gives it)."""
    if name in SHIPPED_STATIC:
        return f"static@{file_digest(shipped_data_path(SHIPPED_STATIC[name]))}"
    path = Path(name).expanduser()
    if (path / RECIPE_FILE).is_file():
        return str(json.loads((path / RECIPE_FILE).read_text(encoding="utf-8"))["fingerprint"])
    return f"static@{file_digest(path)}"


def _is_static_file(path: Path) -> bool:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="numpy") as handle:
            return TOKENIZER_KEY in handle.keys()  # noqa: SIM118 (not iterable)
    except Exception:  # not a safetensors file: not ours to read here
        return False


def write_static_file(
    table: np.ndarray, tokenizer_json: str, card: dict[str, Any], path: str | Path, *, quantize: str = "int4"
) -> Path:
    """Save a static model as one safetensors file: the table (``int4``, two values a byte, or ``int8``,
    each with a float32 scale per row; or ``fp32``), the tokenizer's JSON (zlib) and ``card`` in the
    metadata."""
    import zlib

    from safetensors.numpy import save_file

    if quantize not in (*LEVELS, "fp32"):
        raise ConfigError(f"unknown static table storage {quantize!r}; known: int4, int8, fp32")
    table = np.asarray(table, np.float32)
    tensors: dict[str, np.ndarray] = {
        TOKENIZER_KEY: np.frombuffer(zlib.compress(tokenizer_json.encode("utf-8"), 9), np.uint8)
    }
    if quantize == "fp32":
        tensors[TABLE_KEY] = table
    else:
        levels = LEVELS[quantize]
        scales = np.abs(table).max(axis=1) / levels
        scales[scales == 0] = 1.0
        values = np.clip(np.round(table / scales[:, None]), -levels, levels).astype(np.int8)
        if quantize == "int4":  # two values a byte, offset to 0..15; an odd width gets a zero column
            if values.shape[1] % 2:
                values = np.pad(values, ((0, 0), (0, 1)))
            nibbles = (values + 8).astype(np.uint8)
            values = (nibbles[:, 0::2] | (nibbles[:, 1::2] << 4)).astype(np.uint8)
        tensors[TABLE_KEY] = values
        tensors[SCALES_KEY] = scales.astype(np.float32)
    metadata = {
        CARD_KEY: json.dumps(card, sort_keys=True),
        STORAGE_KEY: quantize,
        "dimensions": str(table.shape[1]),
    }
    save_file(tensors, str(path), metadata)
    return Path(path)


def read_static_file(path: str | Path) -> tuple[np.ndarray, str, dict[str, Any]]:
    """The float32 table, the tokenizer's JSON and the card of a file from :func:`write_static_file`."""
    import zlib

    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise ModelNotFoundError(f"{path}: static model file not found (reinstall pie-embed)")
    try:
        with safe_open(str(path), framework="numpy") as handle:
            names = set(handle.keys())  # noqa: SIM118 (not iterable)
            if not {TABLE_KEY, TOKENIZER_KEY} <= names:
                raise ModelNotFoundError(f"{path}: not a static model file (no {TABLE_KEY}/{TOKENIZER_KEY})")
            metadata = handle.metadata() or {}
            stored = handle.get_tensor(TABLE_KEY)
            if metadata.get(STORAGE_KEY) == "int4":
                low, high = (stored & 0x0F).astype(np.int8) - 8, (stored >> 4).astype(np.int8) - 8
                stored = np.stack([low, high], axis=2).reshape(len(stored), -1)
                stored = stored[:, : int(metadata.get("dimensions", stored.shape[1]))]
            table = stored.astype(np.float32)
            if SCALES_KEY in names:
                table *= handle.get_tensor(SCALES_KEY)[:, None]
            tokenizer_json = zlib.decompress(handle.get_tensor(TOKENIZER_KEY).tobytes()).decode("utf-8")
            card = json.loads(metadata.get(CARD_KEY, "{}"))
    except ModelNotFoundError:
        raise
    except Exception as error:  # safetensors, zlib and json raise their own error types
        raise ModelNotFoundError(f"{path}: not a readable static model file ({error})") from None
    return table, tokenizer_json, card


def static_model_dir(recipe: StaticRecipe, cache_dir: Path | None = None) -> Path:
    """Where ``pie static build`` puts ``recipe``'s model (``<cache>/static/<alias>-<recipe key>``)."""
    from pie_embed.paths import cache_dir as default_cache_dir

    return (cache_dir or default_cache_dir()) / "static" / f"{recipe.alias}-{recipe.key}"


def require_model2vec() -> Any:
    """The model2vec package, or an error naming the ``static`` extra."""
    return import_extra("model2vec", "static")


class StaticEncoder(EncoderBase):
    """Texts in, the mean of their tokens' static vectors out (unit length by default).

    >>> encoder = StaticEncoder("pie-static")  # shipped in the package
    >>> vectors = encoder.encode(["Summarize the article.", "Translate this into French."])
    """

    def __init__(self, model: str | Path = "pie-static", *, normalize: bool = True) -> None:
        name = str(model)
        path = Path(name).expanduser()
        model2vec = require_model2vec()
        if name in SHIPPED_STATIC or (name.endswith(".safetensors") and path.is_file()):
            file = shipped_data_path(SHIPPED_STATIC[name]) if name in SHIPPED_STATIC else path
            table, tokenizer_json, card = read_static_file(file)
            from tokenizers import Tokenizer

            self.info: dict[str, Any] = {**card, "fingerprint": static_fingerprint(str(file))}
            self.model = model2vec.StaticModel(
                vectors=table,
                tokenizer=Tokenizer.from_str(tokenizer_json),
                normalize=True,
                max_length=int(card.get("recipe", {}).get("max_tokens", 256)),
            )
        elif (path / RECIPE_FILE).is_file():
            self.info = json.loads((path / RECIPE_FILE).read_text(encoding="utf-8"))
            self.model = model2vec.StaticModel.from_pretrained(str(path))
        else:
            raise ModelNotFoundError(
                f"{name}: neither a static alias ({', '.join(SHIPPED_STATIC)}), a static model folder "
                "nor a static .safetensors file"
            )
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

    def _embed(
        self, texts: list[str], batch_size: int | None, show_progress: bool | None, normalize: bool
    ) -> tuple[np.ndarray, EncodeStats]:
        """The mean of each text's token rows, ``batch_size`` texts per tokenizer call."""
        size = batch_size or DEFAULT_BATCH
        vectors = np.zeros((len(texts), self.dimension), np.float32)
        tokens: list[int] = []
        truncated = 0
        with progress_bar(len(texts), "embedding", bool(show_progress)) as advance:
            for start in range(0, len(texts), size):
                batch = texts[start : start + size]
                vectors[start : start + len(batch)], counts, cut = self._mean_rows(batch)
                tokens += counts
                truncated += cut
                advance(len(batch))
        if normalize:
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-32
        return vectors, EncodeStats(
            len(texts), len(set(texts)), truncated, -(-len(texts) // size), 0.0, tokens
        )

    def _mean_rows(self, texts: list[str]) -> tuple[np.ndarray, list[int], int]:
        """The mean of each text's token rows, its token count and how many texts were cut. Reads a
        text as model2vec's ``encode`` does (cut at ``max_length`` tokens, and first at that many times
        the median token length in characters; unknown tokens dropped; a text of none is all zeros), but
        tokenizes once for the vectors and the counts."""
        from scipy.sparse import csr_matrix

        model = self.model
        limit = model.max_length
        cut = limit * model.median_token_length if limit else None
        encodings = model.tokenizer.encode_batch_fast(
            [text[:cut] for text in texts] if cut else texts, add_special_tokens=False
        )
        lengths = np.fromiter((len(e.ids) for e in encodings), np.int64, len(encodings))
        flat = np.fromiter(chain.from_iterable(e.ids for e in encodings), np.int64, int(lengths.sum()))
        kept = lengths
        if model.unk_token_id is not None:
            known = flat != model.unk_token_id
            kept = np.bincount(np.repeat(np.arange(len(texts)), lengths)[known], minlength=len(texts))
            flat = flat[known]
        # a sparse (texts x vocabulary) matrix of 1/count times the table: one pass over the tokens
        weights = np.repeat(1.0 / np.maximum(kept, 1), kept).astype(np.float32)
        shares = csr_matrix(
            (weights, flat, np.r_[0, np.cumsum(kept)]), shape=(len(texts), len(model.embedding))
        )
        means = np.asarray(shares @ np.asarray(model.embedding, np.float32), np.float32)
        pairs = zip(texts, encodings, strict=True)
        truncated = sum(1 for text, e in pairs if e.overflowing or (cut and len(text) > cut))
        return means, lengths.tolist(), truncated
