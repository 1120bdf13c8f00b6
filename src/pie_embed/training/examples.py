"""Training examples from task-labeled instructions: (anchor, positive, hard negative) triplets, or SimCSE
pairs for unlabeled text.

The positive is another instruction of the anchor's task. The hard negative comes from a task that shares
the verb or the noun of the anchor's task (``sort|list`` vs ``sort|word`` or ``reverse|list``), falling
back to a random other task. Each example carries the task ids of its anchor and negative, so that the
loss can mask in-batch candidates of the anchor's own task.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from pie_embed.errors import DataError

__all__ = ["TaskExamples", "label_parts", "split_validation", "task_triplets", "unsupervised_pairs"]


def label_parts(label: str) -> tuple[set[str], set[str]]:
    """Verbs and nouns of a (possibly ``##``-merged) ``verb|noun`` label; other labels are their own verb."""
    verbs, nouns = set(), set()
    for member in label.split("##"):
        verb, sep, noun = member.partition("|")
        verbs.add(verb)
        if sep:
            nouns.add(noun)
    return verbs, nouns


@dataclass
class TaskExamples:
    """Columns for a sentence-transformers dataset; ``labels`` holds [anchor task id, negative task id]
    (``None`` for unlabeled SimCSE pairs)."""

    anchor: list[str]
    positive: list[str]
    negative: list[str] | None
    labels: list[list[int]] | None
    task_names: list[str]
    hard_negative_share: float = 0.0

    def __len__(self) -> int:
        return len(self.anchor)

    def columns(self) -> dict[str, list]:
        data: dict[str, list] = {"anchor": self.anchor, "positive": self.positive}
        if self.negative is not None:
            data["negative"] = self.negative
        if self.labels is not None:
            data["labels"] = self.labels
        return data


def split_validation(
    texts: Sequence[str], labels: Sequence[str], share: float, seed: int
) -> tuple[list[int], list[int]]:
    """Indexes of training and validation instructions: ``share`` of the *tasks* is held back whole, so
    validation measures how the model groups tasks it was not trained on."""
    tasks = sorted(set(labels))
    rng = np.random.default_rng(seed)
    held = (
        set(rng.choice(tasks, size=max(2, round(len(tasks) * share)), replace=False)) if share > 0 else set()
    )
    train = [i for i, label in enumerate(labels) if label not in held]
    valid = [i for i, label in enumerate(labels) if label in held]
    return train, valid


def _hard_negative_tasks(names: list[str], is_similar: Callable[[str, str], bool]) -> dict[str, list[str]]:
    """For each task, the other tasks that share its verb or its noun (the paper's hard negatives),
    leaving out tasks that are the same in other words."""
    parts = {name: label_parts(name) for name in names}
    by_verb: dict[str, set[str]] = {}
    by_noun: dict[str, set[str]] = {}
    for name, (verbs, nouns) in parts.items():
        for verb in verbs:
            by_verb.setdefault(verb, set()).add(name)
        for noun in nouns - {"none", "knowledge", "math"}:
            by_noun.setdefault(noun, set()).add(name)
    return {
        name: sorted(
            other
            for other in set().union(*(by_verb[v] for v in verbs), *(by_noun.get(n, set()) for n in nouns))
            if not is_similar(name, other)
        )
        for name, (verbs, nouns) in parts.items()
    }


def task_triplets(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    hard_negatives: bool = True,
    with_negative: bool = True,
    per_instruction: int = 1,
    similar: np.ndarray | None = None,
    seed: int = 0,
) -> TaskExamples:
    """One or more examples per instruction whose task has another distinct instruction.

    ``similar`` (a boolean ``[task, task]`` matrix over the sorted label names, see
    :func:`~pie_embed.training.similar_tasks.similar_task_matrix`) keeps tasks that are the same in other
    words from being chosen as each other's negatives."""
    if len(texts) != len(labels):
        raise DataError(f"{len(texts)} instructions but {len(labels)} labels")
    by_task: dict[str, list[str]] = {}
    for text, label in zip(texts, labels, strict=True):
        by_task.setdefault(label, [])
        if text not in by_task[label]:
            by_task[label].append(text)
    names = sorted(by_task)
    if len(names) < 2:
        raise DataError("contrastive training needs at least two tasks")
    ids = {name: i for i, name in enumerate(names)}
    if similar is not None and similar.shape != (len(names), len(names)):
        raise DataError(f"similar-task matrix is {similar.shape}, expected ({len(names)}, {len(names)})")

    def is_similar(first: str, second: str) -> bool:
        return first == second or (similar is not None and bool(similar[ids[first], ids[second]]))

    related = _hard_negative_tasks(names, is_similar)
    rng = np.random.default_rng(seed)
    anchor, positive, negative, pair_labels = [], [], [], []
    hard = 0
    for _ in range(per_instruction):
        for name in names:
            members = by_task[name]
            if len(members) < 2:
                continue
            for text in members:
                other = members[rng.integers(len(members) - 1)]
                other = members[-1] if other == text else other
                anchor.append(text)
                positive.append(other)
                candidates = related[name] if hard_negatives else []
                if candidates:
                    neg_task = candidates[rng.integers(len(candidates))]
                    hard += 1
                else:
                    neg_task = name
                    for _ in range(100):  # a random dissimilar task; give up on pathological label sets
                        neg_task = names[rng.integers(len(names))]
                        if not is_similar(name, neg_task):
                            break
                pool = by_task[neg_task]
                negative.append(pool[rng.integers(len(pool))])
                pair_labels.append([ids[name], ids[neg_task]])
    order = rng.permutation(len(anchor))
    return TaskExamples(
        anchor=[anchor[i] for i in order],
        positive=[positive[i] for i in order],
        negative=[negative[i] for i in order] if with_negative else None,
        labels=[pair_labels[i] for i in order],
        task_names=names,
        hard_negative_share=hard / len(anchor) if anchor else 0.0,
    )


def unsupervised_pairs(texts: Sequence[str], seed: int = 0) -> TaskExamples:
    """SimCSE: each distinct instruction is its own positive; dropout makes the two views differ."""
    unique = list(dict.fromkeys(texts))
    order = np.random.default_rng(seed).permutation(len(unique))
    shuffled = [unique[i] for i in order]
    return TaskExamples(
        anchor=shuffled,
        positive=list(shuffled),
        negative=None,
        labels=None,
        task_names=[],
    )
