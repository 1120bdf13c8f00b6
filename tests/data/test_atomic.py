"""The one atomic-write module: files and folders appear whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from pie_embed.data.atomic import atomic_directory, atomic_write, write_json


def test_atomic_write_leaves_the_old_file_on_error(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")

    def broken(stream) -> None:
        stream.write(b"half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    write_json(target, {"n": 1})
    assert target.read_text() == '{\n  "n": 1\n}\n'


def test_atomic_directory_replaces_or_keeps_a_winner(tmp_path: Path) -> None:
    target = tmp_path / "entry"
    with atomic_directory(target) as tmp:
        (tmp / "done").write_text("first")
    with atomic_directory(target) as tmp:  # replace=True: the new folder wins
        (tmp / "done").write_text("second")
    assert (target / "done").read_text() == "second"
    with atomic_directory(target, replace=False) as tmp:  # a cache: whoever finished first wins
        (tmp / "done").write_text("third")
    assert (target / "done").read_text() == "second"
    with pytest.raises(RuntimeError), atomic_directory(tmp_path / "other") as tmp:
        (tmp / "half").write_text("x")
        raise RuntimeError("interrupted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry"]
