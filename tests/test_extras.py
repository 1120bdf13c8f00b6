"""Extras are checked against pie-embed's own metadata, not a hand-kept module list."""

from __future__ import annotations

from importlib import metadata

import pytest

from pie_embed import extras
from pie_embed.errors import MissingExtraError

REQUIRES = [
    "numpy>=1.26",
    'fastapi>=0.110; extra == "serve"',
    "uvloop>=0.19; sys_platform == 'nonexistent-os' and extra == \"serve\"",
    'not-installed-package>=1; extra == "serve"',
    'ray[data]>=2.9; extra == "ray"',
]


@pytest.fixture
def fake_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    real_version = metadata.version

    def version(name: str) -> str:
        if name == "not-installed-package":
            raise metadata.PackageNotFoundError(name)
        return real_version(name) if name != "fastapi" else "0.110"

    monkeypatch.setattr(extras.metadata, "requires", lambda _: REQUIRES)
    monkeypatch.setattr(extras.metadata, "version", version)


def test_missing_distributions_of_one_extra(fake_metadata: None) -> None:
    # core dependencies, other extras and requirements for another platform are not asked for
    assert extras.missing_from_extra("serve") == ["not-installed-package"]
    with pytest.raises(MissingExtraError, match=r"not-installed-package .*pie-embed\[serve\]"):
        extras.require_extra("serve")


def test_the_installed_serve_extra_is_complete() -> None:
    assert extras.missing_from_extra("serve") == []
