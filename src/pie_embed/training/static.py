"""Build a static model (the static tier, :mod:`pie_embed.embedding.static`) from a transformer teacher.

1. model2vec distils the teacher over its vocabulary: each token alone through the model, mean-pooled.
2. The table is fitted to the teacher's vectors of real instructions: the training splits of the
   instruction corpora, IEB's unlabeled training instructions and the train_other task definitions (no
   dev-panel or test file). The student's text vector is the mean of its tokens' rows; the loss is the
   cosine distance to the teacher's vector plus a small in-batch InfoNCE term, which keeps different
   instructions apart as the teacher does. Raw distillation scores a panel mean of 0.286 against the
   teacher's 0.434; 5 passes of the fit bring it to about 0.367, 10 passes to about 0.389
   (BENCHMARKS.md, "Static tier").

tokenlearn does the same kind of fit, but pins ``model2vec[distill]``, whose ``transformers<5.4`` would
downgrade this project's transformers; the fit here is a few lines of torch over model2vec's table.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pie_embed.data.atomic import atomic_directory
from pie_embed.data.readers import read_instructions
from pie_embed.embedding.static import (
    RECIPE_FILE,
    STATIC_MODELS,
    StaticRecipe,
    require_model2vec,
    static_model_dir,
    write_static_file,
)
from pie_embed.errors import ConfigError, DataError
from pie_embed.progress import progress_bar
from pie_embed.training.anchors import corpus_anchor_texts

if TYPE_CHECKING:
    from pie_embed.embedding.embedder import InstructionEmbedder

__all__ = ["build_static_model", "reduce_table", "static_corpus"]

TRAIN_OTHER_FILES = ("sni_train_tasks.jsonl", "selfinstruct_seed_tasks.jsonl")
TEACHER_PART = 4096  # texts per cached part of the teacher pass (about 10 s in bf16 on 2 cores)


def static_corpus(data_root: str | Path) -> list[str]:
    """Distinct training texts for the fit: corpora training splits, IEB's eft_train_unsup.json and the
    train_other files under ``data_root`` (such as ../shared)."""
    root = Path(data_root)
    texts = corpus_anchor_texts(root / "corpora", limit=None)
    ieb = root / "ieb" / "eft_train_unsup.json"
    if not ieb.is_file():
        raise DataError(f"{ieb}: IEB training file not found (the data folder is {root})")
    texts += read_instructions(ieb).texts
    for name in TRAIN_OTHER_FILES:
        texts += read_instructions(root / "train_other" / name).texts
    return list(dict.fromkeys(texts))


def build_static_model(
    alias_or_recipe: str | StaticRecipe = "pie-static",
    data_root: str | Path | None = None,
    *,
    texts: list[str] | None = None,
    cache_dir: Path | None = None,
    show_progress: bool = True,
) -> Path:
    """Distil and fit a static model and save it (atomically) in the cache; returns its folder, which
    holds the model2vec form (fp32) and ``<alias>.safetensors``, the one-file form the package ships
    (the table as ``recipe.quantize`` says). The fit texts are ``texts`` or :func:`static_corpus` of
    ``data_root``."""
    import torch

    from pie_embed.embedding.embedder import InstructionEmbedder

    recipe = STATIC_MODELS.get(alias_or_recipe) if isinstance(alias_or_recipe, str) else alias_or_recipe
    if recipe is None:
        raise ConfigError(f"unknown static model {alias_or_recipe!r}; known: {', '.join(STATIC_MODELS)}")
    if texts is None:
        if data_root is None:
            raise ConfigError("give the data folder (--data, such as ../shared) to fit the static model on")
        texts = static_corpus(data_root)
    if not texts:
        raise DataError("no texts to fit the static model on")
    started = time.perf_counter()
    torch.manual_seed(recipe.seed)
    teacher = InstructionEmbedder(recipe.teacher, prompt="none", precision="auto")
    model2vec = require_model2vec()
    from model2vec.distill import distill_from_model

    static = distill_from_model(teacher.loaded.model, teacher.loaded.tokenizer, pca_dims=None)
    targets = _teacher_vectors(teacher, texts, cache_dir, show_progress)
    table, losses = _fit_table(
        np.asarray(static.embedding, np.float32), static.tokenizer, texts, targets, recipe, show_progress
    )
    table = reduce_table(table, recipe.dimensions)
    # the student reads as many tokens as the fit showed it (the teacher's window), not model2vec's 512
    fitted = model2vec.StaticModel(
        vectors=table,
        tokenizer=static.tokenizer,
        config=static.config,
        normalize=True,
        max_length=recipe.max_tokens,
    )
    folder = static_model_dir(recipe, cache_dir)
    info = {
        "recipe": asdict(recipe),
        "teacher_fingerprint": teacher.loaded.fingerprint,
        "texts": len(texts),
        "epoch_losses": losses,
        "seconds": round(time.perf_counter() - started, 1),
    }
    with atomic_directory(folder) as tmp:
        fitted.save_pretrained(str(tmp))
        weights = (tmp / "model.safetensors").read_bytes()
        info["fingerprint"] = f"{recipe.alias}@{hashlib.sha256(weights).hexdigest()[:16]}"
        (tmp / RECIPE_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        card = {**info, "alias": recipe.alias, "date": time.strftime("%Y-%m-%d")}
        tokenizer_json = static.tokenizer.to_str()
        write_static_file(
            table, tokenizer_json, card, tmp / f"{recipe.alias}.safetensors", quantize=recipe.quantize
        )
    return folder


def _teacher_vectors(
    teacher: InstructionEmbedder, texts: list[str], cache_dir: Path | None, show_progress: bool
) -> np.ndarray:
    """The teacher's vectors of ``texts``, through the embedding cache in parts of :data:`TEACHER_PART`
    texts: an interrupted build resumes after the last finished part, and a rebuild with another recipe
    over the same texts skips the teacher."""
    from pie_embed.embedding.cache import EmbeddingCache
    from pie_embed.paths import cache_dir as default_cache_dir

    cache = EmbeddingCache((cache_dir or default_cache_dir()) / "embeddings")
    parts = []
    with progress_bar(len(texts), "teacher vectors of the fit texts", show_progress) as advance:
        for start in range(0, len(texts), TEACHER_PART):
            part = texts[start : start + TEACHER_PART]
            parts.append(cache.encode(teacher, part, show_progress_bar=False)[0])
            advance(len(part))
    return np.concatenate(parts)


def reduce_table(table: np.ndarray, dimensions: int | None) -> np.ndarray:
    """``table`` projected on its top ``dimensions`` right singular vectors, not centred: a text's vector
    is a mean of rows, and centring (model2vec's PCA) would shift every text by the same mean row, which
    cost 0.11 of panel mean; uncentred, 256 of 384 dimensions lost nothing (BENCHMARKS.md)."""
    if dimensions is None or dimensions >= table.shape[1]:
        return table
    _, _, right = np.linalg.svd(table, full_matrices=False)
    return np.ascontiguousarray(table @ right[:dimensions].T, dtype=np.float32)


def _fit_table(
    table: np.ndarray,
    tokenizer: object,
    texts: list[str],
    targets: np.ndarray,
    recipe: StaticRecipe,
    show_progress: bool,
) -> tuple[np.ndarray, list[float]]:
    """The table after ``recipe.epochs`` passes of the fit; the mean loss of each pass."""
    import torch
    import torch.nn.functional as F

    ids = [
        encoding.ids[: recipe.max_tokens]
        for encoding in tokenizer.encode_batch_fast(texts, add_special_tokens=False)
    ]
    rows = np.array([i for i, tokens in enumerate(ids) if tokens])  # a text of no known token has no vector
    bag = torch.nn.EmbeddingBag.from_pretrained(torch.from_numpy(table.copy()), freeze=False, mode="mean")
    optimizer = torch.optim.Adam(bag.parameters(), lr=recipe.learning_rate)
    teacher = F.normalize(torch.from_numpy(np.asarray(targets, np.float32)), dim=-1)
    rng = np.random.default_rng(recipe.seed)
    losses: list[float] = []
    steps = recipe.epochs * -(-len(rows) // recipe.batch_size)
    with progress_bar(steps, "fitting the static table", show_progress) as advance:
        for _ in range(recipe.epochs):
            order, epoch_losses = rng.permutation(rows), []
            for start in range(0, len(order), recipe.batch_size):
                batch = order[start : start + recipe.batch_size]
                flat = torch.tensor([token for i in batch for token in ids[i]])
                offsets = torch.tensor(np.cumsum([0] + [len(ids[i]) for i in batch[:-1]]))
                student = F.normalize(bag(flat, offsets), dim=-1)
                wanted = teacher[batch]
                loss = (1 - (student * wanted).sum(-1)).mean()
                logits = student @ wanted.T / recipe.temperature
                loss = loss + recipe.contrastive_weight * F.cross_entropy(logits, torch.arange(len(batch)))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                epoch_losses.append(loss.item())
                advance(1)
            losses.append(round(float(np.mean(epoch_losses)), 4))
    return bag.weight.detach().numpy().copy(), losses
