"""Agreement of predicted task categories with gold ones (IEB's ``verb|noun`` labels, ``##`` = synonyms)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pie_embed.data.readers import read_instructions, read_pairs
from pie_embed.errors import DataError
from pie_embed.labeling.rules import TaskLabel
from pie_embed.labeling.synonyms import SEPARATOR

__all__ = ["Confusion", "LabelAgreement", "agreement_rows", "label_agreement", "read_gold_labels"]


@dataclass
class Confusion:
    """One kind of disagreement: gold label, predicted label, how often, and an example instruction."""

    gold: str
    predicted: str | None
    count: int
    example: str
    rule: str


@dataclass
class LabelAgreement:
    """Shares of instructions whose predicted label, verb and noun match the gold label.

    A gold label joined with ``##`` accepts any of its members (and any of their verbs or nouns).
    """

    count: int
    exact: float
    verb: float
    noun: float
    unlabeled: int
    confusions: list[Confusion] = field(default_factory=list)


def read_gold_labels(
    path: str | Path, field: str = "instruction", label_field: str = "label"
) -> tuple[list[str], list[str]]:
    """Instructions and gold labels from an IEB label dict, a labeled JSON/JSONL/CSV file, or IIS pairs.

    For IIS pairs each distinct instruction (ignoring surrounding spaces) is taken once with its intention.
    """
    path = Path(path)
    try:
        dataset = read_instructions(path, field=field, label_field=label_field, require_labels=True)
        return dataset.texts, [str(label) for label in dataset.labels]
    except DataError as error:
        try:
            pairs = read_pairs(path)
        except DataError:
            raise error from None
    gold: dict[str, str] = {}
    for pair in pairs:
        for text, intention in ((pair.text1, pair.intention1), (pair.text2, pair.intention2)):
            if intention is None:
                raise DataError(f"{path}: line {pair.line}: IIS pair without intention1/intention2 labels")
            gold.setdefault(text.strip(), intention)
    return list(gold), list(gold.values())


def label_agreement(
    texts: Sequence[str], predicted: Sequence[TaskLabel], gold: Sequence[str], top: int = 15
) -> LabelAgreement:
    """Exact, verb-only and noun-only agreement, with the ``top`` commonest confusions."""
    if not (len(texts) == len(predicted) == len(gold)):
        raise DataError(
            f"{len(texts)} instructions, {len(predicted)} predictions and {len(gold)} gold labels"
        )
    exact = verb = noun = 0
    confusions: Counter[tuple[str, str | None]] = Counter()
    examples: dict[tuple[str, str | None], tuple[str, str]] = {}
    for text, label, gold_label in zip(texts, predicted, gold, strict=True):
        members = gold_label.split(SEPARATOR)
        verbs = {m.partition("|")[0] for m in members}
        nouns = {m.partition("|")[2] for m in members}
        exact += label.label in members
        verb += label.verb in verbs
        noun += label.noun in nouns
        if label.label not in members:
            key = (gold_label, label.label)
            confusions[key] += 1
            examples.setdefault(key, (text, label.rule))
    n = len(texts)
    return LabelAgreement(
        count=n,
        exact=exact / n if n else 0.0,
        verb=verb / n if n else 0.0,
        noun=noun / n if n else 0.0,
        unlabeled=sum(1 for label in predicted if label.label is None),
        confusions=[
            Confusion(gold_label, pred, count, *examples[(gold_label, pred)])
            for (gold_label, pred), count in confusions.most_common(top)
        ],
    )


def agreement_rows(texts: Sequence[str], predicted: Sequence[TaskLabel], gold: Sequence[str]) -> list[dict]:
    """One row per instruction with its gold label, predicted label and rule, for inspecting errors."""
    return [
        {"instruction": text, "gold": gold_label, "task_label": label.label, "task_rule": label.rule}
        for text, label, gold_label in zip(texts, predicted, gold, strict=True)
    ]
