"""Where pie-embed keeps its caches (embeddings, unpacked and dequantized models)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$PIE_EMBED_CACHE``, else ``$XDG_CACHE_HOME/pie_embed``, else ``~/.cache/pie_embed``."""
    if env := os.environ.get("PIE_EMBED_CACHE"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "pie_embed"
