"""Sharded embeddings: a folder of ``.npy`` shards, each written atomically, and a manifest written last.

    out/
      run.json            how the run was started (checked on --resume)
      shard-00000.npy     float32 [rows, dimension] for input rows 0 .. shard_rows-1
      shard-00000.json    that shard's row range and the sha256 of its texts (written after the .npy)
      ...
      manifest.json       written when every shard is there: an EmbeddingManifest over all rows

A shard counts as done when its ``.json`` is there and agrees with its ``.npy``; a run killed at any
moment leaves only done shards and temporary files, which a resumed run ignores.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pie_embed.data.atomic import atomic_write, atomic_write_text
from pie_embed.data.checksums import array_sha256
from pie_embed.data.manifest import MANIFEST_FILE, EmbeddingManifest, read_json_object, read_manifest
from pie_embed.errors import DataError

SHARDS_FORMAT = "pie-embed-shards"
RUN_FILE = "run.json"


@dataclass
class ShardInfo:
    """One finished shard."""

    index: int
    start_row: int
    count: int
    texts_sha256: str
    embedded: int  # distinct texts this shard ran through the model
    copied: int  # rows whose text an earlier shard had already embedded
    truncated: int = 0  # texts cut to the model's max length (absent from shards older than 0.9)


def shard_stem(index: int) -> str:
    return f"shard-{index:05d}"


class ShardFolder:
    """The output folder of a sharded run."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    @classmethod
    def start(cls, folder: str | Path, run: dict[str, Any], *, resume: bool) -> ShardFolder:
        """Create the folder for a new run, or reopen it for ``resume`` if it was started with ``run``."""
        shards = cls(folder)
        run_path = shards.folder / RUN_FILE
        if run_path.is_file():
            if not resume:
                raise DataError(
                    f"{shards.folder}: holds an earlier run; pass --resume to continue it, "
                    "or choose another folder"
                )
            earlier = read_json_object(run_path)
            changed = sorted(k for k in set(run) | set(earlier) if run.get(k) != earlier.get(k))
            if changed:
                raise DataError(
                    f"{shards.folder}: was started with other settings "
                    f"({setting_changes(earlier, run, changed)}); "
                    "resume with the same input and options, or choose another folder"
                )
            return shards
        if shards.folder.exists() and (not shards.folder.is_dir() or any(shards.folder.iterdir())):
            raise DataError(f"{shards.folder}: exists and is not a pie-embed shard folder")
        shards.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(run_path, json.dumps(run, indent=2, default=str) + "\n")
        return shards

    def done(self) -> dict[int, ShardInfo]:
        """Shards already finished, by index."""
        found: dict[int, ShardInfo] = {}
        for meta in sorted(self.folder.glob("shard-*.json")):
            info = ShardInfo(**read_json_object(meta))
            array = self.folder / f"{shard_stem(info.index)}.npy"
            if array.is_file() and np.load(array, mmap_mode="r").shape[0] == info.count:
                found[info.index] = info
        return found

    def vectors(self, index: int) -> np.ndarray:
        """A finished shard's vectors, memory-mapped."""
        return np.load(self.folder / f"{shard_stem(index)}.npy", mmap_mode="r")

    def write(self, info: ShardInfo, vectors: np.ndarray) -> None:
        """Write one shard: the array first, its description last (which marks it done)."""
        stem = shard_stem(info.index)
        atomic_write(self.folder / f"{stem}.npy", lambda stream: np.save(stream, vectors, allow_pickle=False))
        atomic_write_text(self.folder / f"{stem}.json", json.dumps(asdict(info)) + "\n")

    def finish(self, manifest: EmbeddingManifest) -> Path:
        path = self.folder / MANIFEST_FILE
        atomic_write_text(path, json.dumps({"format": SHARDS_FORMAT, **manifest.to_dict()}, indent=2) + "\n")
        return path


def is_shard_folder(path: str | Path) -> bool:
    return (Path(path) / RUN_FILE).is_file()


def read_shards(folder: str | Path) -> tuple[np.ndarray, EmbeddingManifest]:
    """All vectors of a finished sharded run, in input order, checked against its manifest."""
    folder = Path(folder)
    manifest_path = folder / MANIFEST_FILE
    if not manifest_path.is_file():
        raise DataError(f"{folder}: the run is not finished (no {MANIFEST_FILE}); finish it with --resume")
    manifest = read_manifest(manifest_path)
    shards = ShardFolder(folder)
    done = shards.done()
    if sum(done[i].count for i in done) != manifest.count:
        raise DataError(f"{folder}: shards do not match {MANIFEST_FILE} (folder changed?)")
    # filled shard by shard: concatenating would hold every row twice
    vectors = np.empty((manifest.count, manifest.dimension), np.float32)
    for i in sorted(done):
        part = shards.vectors(i)
        start = done[i].start_row
        if part.shape != (done[i].count, manifest.dimension) or start + len(part) > manifest.count:
            raise DataError(f"{folder}: shards do not match {MANIFEST_FILE} (folder changed?)")
        vectors[start : start + len(part)] = part
    if array_sha256(vectors) != manifest.embeddings_sha256:
        raise DataError(f"{folder}: shards do not match {MANIFEST_FILE} (folder changed?)")
    return vectors, manifest


def setting_changes(earlier: dict[str, Any], now: dict[str, Any], keys: list[str]) -> str:
    """``key: earlier -> now`` for each changed setting (the model by name, so both are named)."""
    return ", ".join(f"{key}: {earlier.get(key)!s} -> {now.get(key)!s}" for key in keys)
