"""Every tool takes any ``TextEncoder``: here a keyword encoder that is not an InstructionEmbedder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pie_embed.embedding.encoder import TextEncoder
from pie_embed.tools.correlate import correlate_files
from pie_embed.tools.identify import TaskBank, TaskIdentifier
from pie_embed.tools.retrieve import DemonstrationIndex
from pie_embed.tools.select import select_file
from pie_embed.tools.task_map import map_file

KEYS = ["translate", "poem", "add", "sort"]


class KeywordEncoder:
    """Vectors by keyword, with the settings it describes."""

    def encode(self, sentences, batch_size=None, show_progress_bar=None, normalize_embeddings=None):
        texts = [sentences] if isinstance(sentences, str) else sentences
        rows = np.array([[float(k in t.lower()) for k in KEYS] + [0.1] for t in texts], np.float32)
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        return rows[0] if isinstance(sentences, str) else rows

    def describe(self) -> dict[str, object]:
        return {"model": "keywords", "prompt": "none", "prompt_template": "{instruction}", "pooling": "none"}


def _pool(path: Path) -> Path:
    rows = [{"instruction": f"{verb} item {i}", "label": verb} for i in range(6) for verb in KEYS]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_the_protocol_is_enough_for_every_tool(tmp_path: Path) -> None:
    encoder = KeywordEncoder()
    assert isinstance(encoder, TextEncoder)
    pool = _pool(tmp_path / "pool.jsonl")

    index = DemonstrationIndex.build(pool, embedder=encoder)
    (found,) = index.retrieve(["Please sort these"], k=2)
    assert [demo.text.split()[0] for demo in found] == ["sort", "sort"]

    bank = TaskBank.from_files(encoder, [pool], cache=True)  # no cache key: embedded directly
    identifier = TaskIdentifier(encoder, bank, use_labeler=False)
    assert identifier.identify(["add two numbers"])[0].nearest[0].task == "add"

    selected = select_file(pool, 4, output=tmp_path / "picked.jsonl", embedder=encoder)
    assert len(selected.selection.indices) == 4

    mapped = map_file(pool, tmp_path / "map.html", embedder=encoder, color_by="label", projection="pca")
    assert mapped.html.is_file() and mapped.png.is_file()

    other = _pool(tmp_path / "other.jsonl")
    result = correlate_files([pool, other], tmp_path / "correlation", embedder=encoder)
    assert result.files and all(path.is_file() for path in result.files)
