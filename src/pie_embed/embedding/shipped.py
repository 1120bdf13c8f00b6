"""Task-aware models shipped inside the package: a small file of weight changes over a PyPI base model.

A shipped model is a safetensors file in ``pie_embed/embedding/data`` holding the rank-``r`` change from
its base (see :mod:`pie_embed.embedding.weight_delta`) and, in its metadata, a model card: the settings it
embeds with, the data and configuration it was trained on, and its dev-panel scores. Loading it loads the
base from its PyPI package and adds the change: no training step, no download.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pie_embed.errors import ModelNotFoundError

__all__ = [
    "SHIPPED_MODELS",
    "ShippedModel",
    "file_digest",
    "read_card",
    "read_shipped",
    "shipped_data_path",
    "write_shipped",
]

CARD_KEY = "pie_embed_card"


@dataclass(frozen=True)
class ShippedModel:
    """An alias for a weight change in the package over ``base`` (an offline model alias), rebuilt by
    ``pie train --recipe <recipe>``."""

    alias: str
    base: str
    file: str
    recipe: str
    description: str

    @property
    def path(self) -> Path:
        """``file`` in the package's data folder (or ``file`` itself when it is an absolute path)."""
        return shipped_data_path(self.file)


def shipped_data_path(file: str) -> Path:
    """``file`` in the package's data folder (``file`` itself when it is an absolute path)."""
    if Path(file).is_absolute():
        return Path(file)
    return Path(str(resources.files("pie_embed.embedding") / "data" / file))


# Rebuilt by `pie train --recipe NAME` and benchmarks/ship_models.py (docs/training.md, "Shipped models").
SHIPPED_MODELS: dict[str, ShippedModel] = {
    "pie-general": ShippedModel(
        "pie-general",
        base="all-minilm-l6-v2",
        file="pie-general.safetensors",
        recipe="general",
        description="the default: task-aware all-MiniLM-L6-v2 (semantic task labels, anchored to the base)",
    ),
    "pie-ieb": ShippedModel(
        "pie-ieb",
        base="all-minilm-l6-v2",
        file="pie-ieb.safetensors",
        recipe="ieb",
        description="the paper's setting (IEB verb|noun labels): best on IEB, pulls paraphrases apart",
    ),
}


def read_card(path: str | Path) -> dict[str, Any]:
    """The model card in a shipped file's metadata, without reading its tensors."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise ModelNotFoundError(f"{path}: shipped model file not found (reinstall pie-embed)")
    try:
        with safe_open(str(path), framework="numpy") as handle:
            metadata = handle.metadata() or {}
        return json.loads(metadata.get(CARD_KEY, "{}"))
    except json.JSONDecodeError as error:
        raise ModelNotFoundError(f"{path}: the model card in its metadata is not JSON ({error})") from None
    except Exception as error:  # safetensors raises its own error type for a damaged file
        raise ModelNotFoundError(f"{path}: not a readable safetensors file ({error})") from None


def file_digest(path: str | Path) -> str:
    """The first 16 hex digits of the file's SHA-256: its content, whatever its name."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def read_shipped(path: str | Path) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The weight change in ``path``, its model card and a fingerprint of the file."""
    from pie_embed.embedding.weight_delta import load_delta

    path = Path(path)
    if not path.is_file():
        raise ModelNotFoundError(f"{path}: shipped model file not found (reinstall pie-embed)")
    try:
        delta, metadata = load_delta(path)
    except Exception as error:  # safetensors raises its own error type for a damaged file
        raise ModelNotFoundError(f"{path}: not a readable safetensors file ({error})") from None
    try:
        card = json.loads(metadata.get(CARD_KEY, "{}"))
    except json.JSONDecodeError as error:
        raise ModelNotFoundError(f"{path}: the model card in its metadata is not JSON ({error})") from None
    return delta, card, file_digest(path)


def write_shipped(delta: dict[str, Any], card: dict[str, Any], path: str | Path) -> Path:
    """Save a weight change (from :func:`~pie_embed.embedding.weight_delta.compress_delta`) with ``card``."""
    from pie_embed.embedding.weight_delta import save_delta

    save_delta(delta, path, {CARD_KEY: json.dumps(card, sort_keys=True)})
    return Path(path)
