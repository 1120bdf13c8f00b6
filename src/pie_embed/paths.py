"""Where pie-embed keeps its caches, and where it finds the data folders (IEB, corpora, dev panel).

No default depends on the working directory: a data folder comes from an explicit option, else from
``$PIE_DATA`` (a folder holding ``ieb/``, ``corpora/``, ``generalization/``, ``train_other/``), else from
the per-user data folder (``$XDG_DATA_HOME/pie_embed``, else ``~/.local/share/pie_embed``).
"""

from __future__ import annotations

import os
from pathlib import Path

from pie_embed.errors import DataError

DATA_ENV = "PIE_DATA"


def cache_dir() -> Path:
    """``$PIE_EMBED_CACHE``, else ``$XDG_CACHE_HOME/pie_embed``, else ``~/.cache/pie_embed``."""
    if env := os.environ.get("PIE_EMBED_CACHE"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "pie_embed"


def user_data_dir() -> Path:
    """The per-user data folder: ``$XDG_DATA_HOME/pie_embed``, else ``~/.local/share/pie_embed``."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base).expanduser() / "pie_embed"


def find_data_dir(name: str) -> Path | None:
    """``$PIE_DATA/<name>`` or the per-user ``<name>`` folder, whichever exists first; None if neither."""
    roots = [Path(env).expanduser()] if (env := os.environ.get(DATA_ENV)) else []
    for root in [*roots, user_data_dir()]:
        if (root / name).is_dir():
            return root / name
    return None


def data_dir(name: str, explicit: str | Path | None = None, *, option: str = "--data") -> Path:
    """The data folder ``name`` (``ieb``, ``corpora``, ...): ``explicit`` when given, else found as
    :func:`find_data_dir` says, else a one-line error naming all three ways to give it."""
    if explicit is not None:
        return Path(explicit)
    if (found := find_data_dir(name)) is not None:
        return found
    raise DataError(
        f"no {name} data folder: pass {option} DIR, set {DATA_ENV} to a folder that holds {name}/ "
        f"(such as the project's ../shared), or put the files in {user_data_dir() / name}"
    )
