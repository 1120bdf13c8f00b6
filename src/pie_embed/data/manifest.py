"""The manifest of a set of embeddings: how they were made, with checksums of the texts and the array.

A file's manifest is a ``<path>.manifest.json`` sidecar (and, for Parquet, the schema metadata too); a
folder's is its ``manifest.json``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from pie_embed.data.checksums import array_sha256, texts_sha256
from pie_embed.errors import DataError, one_line
from pie_embed.version import pie_embed_version

MANIFEST_FILE = "manifest.json"  # a folder's manifest


@dataclass
class EmbeddingManifest:
    """How a set of embeddings was made, with checksums of the texts and of the array."""

    model: str
    prompt: str
    pooling: str
    normalize: bool
    dimension: int
    count: int
    texts_sha256: str
    embeddings_sha256: str
    source: str | None = None
    created: str = ""
    pie_embed_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The manifest as a JSON-ready dict."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """The manifest as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, origin: str = "manifest") -> EmbeddingManifest:
        """Build a manifest from a dict; unknown keys are ignored, a missing required key is a DataError."""
        if not isinstance(data, dict):
            raise DataError(f"{origin}: manifest is {type(data).__name__}, expected a JSON object")
        known = {f.name: f for f in dataclasses.fields(cls)}
        required = [
            n
            for n, f in known.items()
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        missing = [n for n in required if n not in data]
        if missing:
            raise DataError(f"{origin}: manifest lacks {', '.join(repr(n) for n in missing)}")
        return cls(**{k: v for k, v in data.items() if k in known})


def manifest_path(path: str | Path) -> Path:
    """The sidecar manifest of an embeddings file: ``<path>.manifest.json``."""
    path = Path(path)
    return path.with_name(path.name + ".manifest.json")


def complete_manifest(
    path: Path, array: np.ndarray, manifest: EmbeddingManifest, texts: Sequence[str] | None
) -> EmbeddingManifest:
    """A copy of ``manifest`` with count, dimension, checksums, time and version filled in and checked."""
    count, dimension = array.shape
    facts: dict[str, Any] = {"count": count, "dimension": dimension, "embeddings_sha256": array_sha256(array)}
    if texts is not None:
        if len(texts) != count:
            raise DataError(f"{path}: {len(texts)} texts for {count} embeddings")
        facts["texts_sha256"] = texts_sha256(texts)
    for name, value in facts.items():
        given = getattr(manifest, name)
        if given not in (0, "", None) and given != value:
            raise DataError(f"{path}: manifest {name} is {given!r} but the data gives {value!r}")
    if not manifest.created:
        facts["created"] = datetime.now(UTC).isoformat(timespec="seconds")
    if not manifest.pie_embed_version:
        facts["pie_embed_version"] = pie_embed_version()
    return dataclasses.replace(manifest, **facts)


def manifest_from_json(text: str | bytes, origin: str) -> EmbeddingManifest:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        detail = (
            f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
            if isinstance(exc, json.JSONDecodeError)
            else exc
        )
        raise DataError(one_line(f"{origin}: invalid manifest JSON ({detail})")) from None
    if not isinstance(data, dict):
        raise DataError(f"{origin}: a manifest is a JSON object, found {type(data).__name__}")
    data.pop("format", None)  # the folder format a writer records next to the manifest's fields
    return EmbeddingManifest.from_dict(data, origin=origin)


def read_manifest(path: str | Path) -> EmbeddingManifest:
    """The manifest in the JSON file ``path`` (a sidecar, or the manifest of a shard or Ray folder)."""
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the manifest: {exc.strerror or exc}") from None
    return manifest_from_json(text, str(path))


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object from ``path`` (a folder's bookkeeping file), or a one-line error."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(one_line(f"{path}: unreadable: {exc}")) from None
    if not isinstance(value, dict):
        raise DataError(f"{path}: expected a JSON object, found {type(value).__name__}")
    return value


def read_sidecar(path: Path) -> EmbeddingManifest:
    sidecar = manifest_path(path)
    if not sidecar.is_file():
        raise DataError(f"{path}: manifest not found (expected {sidecar.name} next to it)")
    return read_manifest(sidecar)
