"""Which task labels name the same task in other words (``create|poem`` and ``generate|poem``).

IEB's labels are syntactic, so paraphrased tasks get different labels. Pushing them apart as negatives
teaches the model the labeling scheme rather than the task; the loss leaves such pairs out instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["label_phrases", "same_source_matrix", "similar_task_matrix"]


def label_phrases(label: str) -> list[str]:
    """``"create|poem##make|poem"`` -> ``["create poem", "make poem"]``."""
    return [member.replace("|", " ") for member in label.split("##")]


def similar_task_matrix(task_names: Sequence[str], model: Any, threshold: float) -> np.ndarray:
    """Boolean ``[task, task]`` matrix: True where two labels' phrases have cosine >= ``threshold`` under
    ``model`` (a SentenceTransformer; the base model, before training), and on the diagonal."""
    phrases: list[str] = []
    owner: list[int] = []
    for index, name in enumerate(task_names):
        for phrase in label_phrases(name):
            phrases.append(phrase)
            owner.append(index)
    vectors = np.asarray(model.encode(phrases, normalize_embeddings=True, convert_to_numpy=True))
    close = (vectors @ vectors.T) >= threshold
    count = len(task_names)
    by_owner = np.zeros((count, len(phrases)), dtype=bool)
    by_owner[owner, np.arange(len(phrases))] = True
    # two tasks are similar when any phrase of one is close to any phrase of the other
    similar = (by_owner.astype(np.int32) @ close.astype(np.int32) @ by_owner.T.astype(np.int32)) > 0
    np.fill_diagonal(similar, True)
    return similar


def same_source_matrix(task_names: Sequence[str], sources: Sequence[str]) -> np.ndarray:
    """Boolean ``[task, task]`` matrix: True where both labels come from one of ``sources`` (the part of a
    label before its first ``:``, as in ``ieb:write|poem``), and on the diagonal.

    Masking these pairs keeps a source's tasks from being each other's negatives: its rows are only pulled
    to their own task and pushed away from other sources' tasks. For IEB's syntactic labels this stops
    ``write|poem`` and ``compose|poem`` (or ``give|antonym`` and ``find|opposite``) being pushed apart.
    """
    wanted = set(sources)
    member = np.array([name.split(":", 1)[0] in wanted and ":" in name for name in task_names], dtype=bool)
    matrix = member[:, None] & member[None, :]
    np.fill_diagonal(matrix, True)
    return matrix
