"""The installed pie-embed version: what every manifest and model card is stamped with."""

from __future__ import annotations

import importlib.metadata


def pie_embed_version() -> str:
    """The installed pie-embed version, or "0+unknown" when it is not installed."""
    try:
        return importlib.metadata.version("pie-embed")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"
