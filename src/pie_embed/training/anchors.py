"""Other-source text for :class:`~pie_embed.training.losses.BaseAnchorLoss`: the training splits of the
instruction corpora of the ``corpora`` data folder (``../shared/corpora``): instructions with their inputs,
conversations, code, math.
Test sets (MBPP, HumanEval, MATH, MMLU, GSM8K test, Koala, Arena, HH-RLHF test) are never used."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pie_embed.data.readers import read_instructions
from pie_embed.errors import DataError

__all__ = ["ANCHOR_CORPORA", "corpus_anchor_texts"]

# file -> split to keep (None: the whole file is training data)
ANCHOR_CORPORA: dict[str, str | None] = {
    "alpaca_5000.jsonl": None,
    "alpaca_llamafactory_demo.jsonl": None,
    "codealpaca_2k.jsonl": None,
    "gpteacher.jsonl": None,
    "gsm8k.jsonl": "train",
    "lima.jsonl": None,
}


def corpus_anchor_texts(folder: str | Path, limit: int | None = 6000, seed: int = 0) -> list[str]:
    """Distinct instructions (joined with their input) of :data:`ANCHOR_CORPORA`, a seeded sample of
    ``limit`` of them."""
    folder = Path(folder)
    texts: list[str] = []
    for name, split in ANCHOR_CORPORA.items():
        path = folder / name
        if not path.is_file():
            raise DataError(f"{path}: anchor corpus not found (the corpora folder is {folder})")
        dataset = read_instructions(path, join="newline")
        texts += [r.text for r in dataset.records if split is None or r.row.get("split") == split]
    unique = list(dict.fromkeys(texts))
    if limit is not None and limit < len(unique):
        chosen = np.random.default_rng(seed).choice(len(unique), size=limit, replace=False)
        unique = [unique[i] for i in sorted(chosen)]
    return unique
