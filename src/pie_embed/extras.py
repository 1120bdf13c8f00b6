"""Whether an optional extra of pie-embed is installed, read from the package's own metadata."""

from __future__ import annotations

from importlib import import_module, metadata
from typing import Any

from pie_embed.errors import MissingExtraError


def missing_from_extra(extra: str) -> list[str]:
    """The distributions ``pie-embed[extra]`` requires on this platform that are not installed (none
    when pie-embed itself runs from a source tree without metadata)."""
    from packaging.requirements import Requirement

    try:
        requirements = metadata.requires("pie-embed") or []
    except metadata.PackageNotFoundError:
        return []
    missing = []
    for line in requirements:
        requirement = Requirement(line)
        if requirement.marker is None or not requirement.marker.evaluate({"extra": extra}):
            continue
        if requirement.marker.evaluate({"extra": ""}):
            continue  # a core dependency, not part of the extra
        try:
            metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            missing.append(requirement.name)
    return missing


def require_extra(extra: str) -> None:
    """Raise :class:`MissingExtraError` naming the first missing distribution of ``extra``."""
    missing = missing_from_extra(extra)
    if missing:
        raise MissingExtraError(missing[0], extra)


def import_extra(module: str, extra: str, package: str | None = None) -> Any:
    """``module`` imported, or :class:`MissingExtraError` naming ``package`` (default: the module's
    top-level name) and the extra that installs it."""
    try:
        return import_module(module)
    except ImportError:
        raise MissingExtraError(package or module.split(".")[0], extra) from None
