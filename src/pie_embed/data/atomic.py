"""Atomic writes: a file or folder appears whole at its path or not at all.

Everything pie-embed writes (embeddings, manifests, shards, caches, model files, reports) goes through
these helpers: a temporary sibling on the same filesystem is renamed into place.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path, PurePath
from typing import IO, Any

import numpy as np

_UMASK = os.umask(0)  # read the process umask once so written files get ordinary permissions
os.umask(_UMASK)


def atomic_write(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write through ``write`` into a temporary file next to ``path``, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, 0o666 & ~_UMASK)  # mkstemp creates 0600
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8, atomically."""
    atomic_write(path, lambda stream: stream.write(text.encode("utf-8")))


def json_default(value: Any) -> Any:
    """JSON for numpy values, datetimes, paths, and results: a dataclass (its fields) or an object with
    ``to_dict()``, so that every result is written by :func:`write_json` as it is."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def write_json(path: str | Path, value: Any) -> None:
    """Write one JSON document atomically (UTF-8, indented)."""
    text = json.dumps(value, ensure_ascii=False, indent=2, default=json_default) + "\n"
    atomic_write_text(Path(path), text)


@contextmanager
def atomic_directory(path: str | Path, *, replace: bool = True) -> Iterator[Path]:
    """Yields a temporary folder next to ``path``; on success it becomes ``path``, on error it is removed.

    ``replace=False`` is for caches that several processes may fill at once: if ``path`` exists by the
    time the folder is done, the existing one is kept and the new one discarded."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.tmp-"))
    temp.chmod(0o777 & ~_UMASK)  # mkdtemp makes it private; the folder it becomes need not be
    try:
        yield temp
        if replace and path.exists():
            shutil.rmtree(path)
        try:
            os.rename(temp, path)
        except OSError:
            if replace or not path.is_dir():
                raise
            shutil.rmtree(temp, ignore_errors=True)  # another process finished it first: keep theirs
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
