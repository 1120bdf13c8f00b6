"""Turn a trained model folder into the file the package ships: its weight change, with a model card.

The card (in the file's metadata, and as a section of the folder's sentence-transformers README.md) says
what the model embeds with, what it was trained on and how, and its dev-panel scores against its base,
measured on the shipped form (the compressed change over the base), which is what users load.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pie_embed.errors import DataError

__all__ = ["SHIP_RANK", "SHIP_SEEDS", "ship_model"]

SHIP_RANK = 32  # rank-32 factors: 4.8 MB for MiniLM, cosine >= 0.9999 to the full fine-tune
SHIP_SEEDS = 20  # k-means seeds per set on a card: 5 cannot separate 0.02 on the small sets
CARD_SECTION = "## pie-embed dev panel"


def ship_model(
    folder: str | Path,
    *,
    recipe: str,
    alias: str | None = None,
    data: dict[str, Any],
    base: str,
    panel_dir: Path | None,
    ieb_dir: Path | None,
    seeds: int = SHIP_SEEDS,
    show_progress: bool = True,
) -> Path:
    """Write ``<folder>/<alias>.safetensors`` (default alias: the folder's name): the change from
    ``base`` (an offline alias) to the model in ``folder`` at :data:`SHIP_RANK`, with a model card;
    panel scores (IEB from ``ieb_dir``, every set of ``panel_dir``, ``seeds`` k-means seeds) of the
    shipped form and of the base go into the card when the folders exist. The package's file is the
    median of several such runs (scripts/ship_model.py)."""
    from safetensors.torch import load_file

    from pie_embed.data.atomic import atomic_write_text
    from pie_embed.embedding.models import ALIASES
    from pie_embed.embedding.offline import OFFLINE_MODELS
    from pie_embed.embedding.shipped import write_shipped
    from pie_embed.embedding.weight_delta import compress_delta
    from pie_embed.paths import cache_dir
    from pie_embed.training.model_card import card_markdown

    folder = Path(folder)
    settings_file = folder / "pie_embed.json"
    if not settings_file.is_file():
        raise DataError(f"{settings_file}: not a model trained by pie train")
    trained = json.loads(settings_file.read_text())
    base = ALIASES.get(base, base)
    if base not in OFFLINE_MODELS:
        raise DataError(f"{folder}: base model {base!r} is not an offline alias, so it cannot ship over it")
    base_dir = OFFLINE_MODELS[base].locate(cache_dir() / "models").path
    card: dict[str, Any] = {
        "alias": alias or folder.name,
        "base": base,
        "base_version": OFFLINE_MODELS[base].version,
        "recipe": recipe,
        "settings": {key: trained[key] for key in ("prompt", "pooling", "max_length")},
        "data": data,
        "training_config": trained.get("training_config", {}),
        "training_run": trained.get("training_run", {}),
        "rank": SHIP_RANK,
        "date": time.strftime("%Y-%m-%d"),
    }
    output = folder / f"{alias or folder.name}.safetensors"
    base_state = load_file(str(base_dir / "model.safetensors"))
    delta = compress_delta(base_state, load_file(str(folder / "model.safetensors")), rank=SHIP_RANK)
    write_shipped(delta, card, output)
    if panel_dir is not None and ieb_dir is not None and panel_dir.is_dir() and ieb_dir.is_dir():
        # scored as loaded from the file just written: the shipped form, not the full fine-tune
        card["panel"] = _panel(str(output), base, ieb_dir, panel_dir, seeds, show_progress)
        write_shipped(delta, card, output)
    readme = folder / "README.md"
    text = readme.read_text() if readme.is_file() else ""
    section = CARD_SECTION + "\n\n" + card_markdown(card, front_matter=False)
    atomic_write_text(readme, text.split(CARD_SECTION)[0].rstrip() + "\n\n" + section)
    return output


def _panel(
    model: str, base: str, ieb_dir: Path, panel_dir: Path, seeds: int, progress: bool
) -> dict[str, Any]:
    from pie_embed.benchmark import evaluate, load_ieb
    from pie_embed.benchmark.machine import machine_info
    from pie_embed.benchmark.panel import panel_files, panel_mean, panel_scores
    from pie_embed.embedding import InstructionEmbedder

    data = load_ieb(ieb_dir, panel_files(panel_dir))
    scores = {}
    for name in (model, base):
        embedder = InstructionEmbedder(name, precision="fp32")
        scores[name] = panel_scores(evaluate(embedder, data, seeds=seeds))
    return {
        "seeds": seeds,
        "scores": [s.to_dict() for s in scores[model]],
        "panel_mean": panel_mean(scores[model]),
        "base_scores": [s.to_dict() for s in scores[base]],
        "base_panel_mean": panel_mean(scores[base]),
        "machine": machine_info(),
    }


def recipe_data_record(recipe: Any) -> dict[str, Any]:
    """What a recipe trains on, for the card."""
    return {
        "other_files": list(recipe.other_files),
        "ieb_source": recipe.ieb_source,
        "ieb_rows": recipe.ieb_rows,
        "min_count": recipe.min_count,
        "category_files": list(recipe.category_files),
        "anchor_texts": recipe.anchor_count if recipe.config.anchor_weight > 0 else 0,
    }
