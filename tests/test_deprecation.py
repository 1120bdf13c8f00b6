"""Renamed keyword arguments keep their old names for one release."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pie_embed.deprecation import renamed_arguments
from pie_embed.tools.select import select_file


def test_an_old_keyword_warns_and_is_passed_on():
    @renamed_arguments(path="source")
    def read(source: str, n: int = 1) -> tuple[str, int]:
        return source, n

    with pytest.warns(DeprecationWarning, match=r"read\(path=\) is deprecated: use source="):
        assert read(path="a.jsonl", n=2) == ("a.jsonl", 2)
    assert read("b.jsonl") == ("b.jsonl", 1)
    with pytest.raises(TypeError, match="got both path= and source="):
        read(path="a", source="b")


def test_select_file_still_takes_path(tiny_encoder_dir: Path, tmp_path: Path):
    from pie_embed.embedding.embedder import InstructionEmbedder

    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps({"instruction": f"Task number {i}."}) + "\n" for i in range(8)))
    with pytest.warns(DeprecationWarning, match=r"select_file\(path=\)"):
        result = select_file(path=data, n=3, embedder=InstructionEmbedder(str(tiny_encoder_dir)))
    assert result.report.selected == 3
