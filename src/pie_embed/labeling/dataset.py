"""Build an IEB-style labeled dataset from labeled instructions: synonym merging, low-frequency filtering,
removal of instructions that also occur in test files, a stratified train/test split.

Nothing is dropped silently: every instruction left out of the dataset has its reason in
``IEBDataset.exclusions``, and :class:`LabelingStats` counts each kind.
"""

from __future__ import annotations

import dataclasses
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pie_embed.data.atomic import write_json
from pie_embed.data.readers import InstructionRecord, read_instructions, read_pairs
from pie_embed.data.records import write_records
from pie_embed.errors import ConfigError, DataError
from pie_embed.labeling.rules import TaskLabel
from pie_embed.labeling.synonyms import SynonymSource, merge_synonym_labels

__all__ = [
    "IEBDataset",
    "LabelingStats",
    "build_ieb_dataset",
    "find_test_overlap",
    "labeled_rows",
    "normalize_instruction",
]


def normalize_instruction(text: str) -> str:
    """Case- and whitespace-insensitive form used to find the same instruction in two files."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def _reference_texts(path: Path) -> list[str]:
    """The instructions of a test file: an IEB label dict, a list of instructions, or IIS pairs."""
    try:
        return read_instructions(path).texts
    except DataError as error:
        try:
            pairs = read_pairs(path)
        except DataError:
            raise error from None
        return [text for pair in pairs for text in (pair.text1, pair.text2)]


def find_test_overlap(texts: Sequence[str], test_files: Sequence[str | Path]) -> dict[int, str]:
    """Indexes of ``texts`` that also occur (ignoring case and spacing) in any test file, with that file."""
    where: dict[str, str] = {}
    for path in test_files:
        for text in _reference_texts(Path(path)):
            where.setdefault(normalize_instruction(text), str(path))
    return {i: where[key] for i, text in enumerate(texts) if (key := normalize_instruction(text)) in where}


@dataclass
class LabelingStats:
    """What labeling a file produced: how many instructions got a category and how they were split."""

    instructions: int
    distinct: int
    labeled: int
    unlabeled_reasons: dict[str, int]
    labels_found: int
    merged_labels: int
    min_count: int
    low_frequency_labels: int
    low_frequency_instructions: int
    test_overlap: int
    test_files: list[str]
    labels: int
    samples: int
    train_samples: int
    test_samples: int
    samples_per_label: dict[str, float]
    top_labels: list[tuple[str, int]] = field(default_factory=list)

    @property
    def unlabeled(self) -> int:
        return self.instructions - self.labeled

    @property
    def unlabeled_share(self) -> float:
        return self.unlabeled / self.instructions if self.instructions else 0.0


@dataclass
class IEBDataset:
    """A labeled dataset in IEB's label-dict shape, ``{label: {"number": N, "samples": [...]}}``.

    ``assignments[i]`` is the (merged) label instruction ``i`` got in the dataset, or ``None``;
    ``exclusions[i]`` says why instruction ``i`` was left out.
    """

    train: dict[str, dict[str, Any]]
    test: dict[str, dict[str, Any]] | None
    assignments: list[str | None]
    exclusions: dict[int, str]
    stats: LabelingStats

    def write(
        self,
        path: str | Path,
        test_path: str | Path | None = None,
        rows: Sequence[dict[str, Any]] | None = None,
    ) -> list[Path]:
        """Write the train part to ``path``, the test part to ``test_path`` (default ``<stem>.test.json``),
        the statistics to ``<stem>.stats.json`` and, given the labeled ``rows`` (:func:`labeled_rows`), every
        left-out row with its reason to ``<stem>.excluded.jsonl``; returns the files written."""
        path = Path(path)
        written = [path]
        write_json(path, self.train)
        if self.test is not None:
            test_path = Path(test_path) if test_path is not None else path.with_suffix(".test.json")
            write_json(test_path, self.test)
            written.append(test_path)
        stats_path = path.with_suffix(".stats.json")
        write_json(
            stats_path, dataclasses.asdict(self.stats) | {"unlabeled_share": self.stats.unlabeled_share}
        )
        written.append(stats_path)
        if rows is not None:
            excluded_path = path.with_suffix(".excluded.jsonl")
            write_records(excluded_path, [row for i, row in enumerate(rows) if i in self.exclusions])
            written.append(excluded_path)
        return written


def labeled_rows(
    records: Sequence[InstructionRecord], labels: Sequence[TaskLabel], dataset: IEBDataset | None = None
) -> list[dict[str, Any]]:
    """Each input row with its task category, verb, noun, rule and (when unlabeled) the reason; with a
    ``dataset``, also the label it got there (``ieb_label``) or why it was left out (``excluded``)."""
    rows = []
    for i, (record, label) in enumerate(zip(records, labels, strict=True)):
        row = dict(record.row)
        row.update(
            task_label=label.label,
            task_verb=label.verb,
            task_noun=label.noun,
            task_rule=label.rule,
            task_reason=label.reason,
        )
        if dataset is not None:
            row.update(ieb_label=dataset.assignments[i], excluded=dataset.exclusions.get(i))
        rows.append(row)
    return rows


def _sample(
    record: InstructionRecord, label: TaskLabel, input_field: str, output_field: str
) -> dict[str, Any]:
    """One IEB sample; ``category`` is the instruction's own ``[verb, noun]`` (a member of its label)."""
    row = record.row
    return {
        "category": [label.verb, label.noun],
        "instruction": record.text,
        "input": row.get(input_field) or "",
        "output": row.get(output_field) or "",
    }


def _label_dict(samples: list[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for label, sample in samples:
        grouped.setdefault(label, []).append(sample)
    ordered = sorted(grouped.items(), key=lambda item: (-len(item[1]), item[0]))
    return {label: {"number": len(items), "samples": items} for label, items in ordered}


def _check_options(records: int, labels: int, min_count: int, test_size: float) -> None:
    if records != labels:
        raise ConfigError(f"{records} instructions but {labels} labels")
    if min_count < 1:
        raise ConfigError("min_count must be at least 1")
    if not 0.0 <= test_size < 1.0:
        raise ConfigError(f"test_size must be in [0, 1), got {test_size}")
    if test_size > 0 and min_count < 2:
        raise ConfigError("a stratified split needs min_count >= 2 (every label in both parts)")


def _labeling_stats(
    records: Sequence[InstructionRecord],
    labels: Sequence[TaskLabel],
    unlabeled: Counter[str],
    found: Counter[str],
    sizes: Counter[str],
    rare: set[str],
    overlap: dict[int, str],
    min_count: int,
    test_files: Sequence[str | Path],
    final: list[tuple[int, str]],
    train_items: list[tuple[int, str]],
    test_items: list[tuple[int, str]],
) -> LabelingStats:
    """What building the dataset kept, merged and left out, for `pie label`'s summary."""
    kept_sizes = [count for name, count in sizes.items() if name not in rare]
    return LabelingStats(
        instructions=len(records),
        distinct=len({r.text for r in records}),
        labeled=sum(1 for label in labels if label.label is not None),
        unlabeled_reasons=dict(unlabeled.most_common()),
        labels_found=len(found),
        merged_labels=sum(1 for name in sizes if "##" in name),
        min_count=min_count,
        low_frequency_labels=len(rare),
        low_frequency_instructions=sum(sizes[name] for name in rare),
        test_overlap=len(overlap),
        test_files=[str(p) for p in test_files],
        labels=len(kept_sizes),
        samples=len(final),
        train_samples=len(train_items),
        test_samples=len(test_items),
        samples_per_label=(
            {
                "min": min(kept_sizes),
                "median": statistics.median(kept_sizes),
                "mean": round(statistics.fmean(kept_sizes), 2),
                "max": max(kept_sizes),
            }
            if kept_sizes
            else {}
        ),
        top_labels=[(name, count) for name, count in sizes.most_common() if name not in rare][:10],
    )


def build_ieb_dataset(
    records: Sequence[InstructionRecord],
    labels: Sequence[TaskLabel],
    *,
    min_count: int = 1,
    merge_synonyms: bool = True,
    test_size: float = 0.0,
    seed: int = 0,
    test_files: Sequence[str | Path] = (),
    input_field: str = "input",
    output_field: str = "output",
    synonyms: SynonymSource | None = None,
) -> IEBDataset:
    """Turn labeled instructions into an IEB label dict (and a stratified test part when ``test_size > 0``).

    Labels with fewer than ``min_count`` instructions (after synonym merging) are left out, as are
    instructions that also occur in ``test_files``; ``exclusions`` records each with its reason.
    """
    _check_options(len(records), len(labels), min_count, test_size)
    overlap = find_test_overlap([r.text for r in records], test_files) if test_files else {}
    exclusions: dict[int, str] = {}
    unlabeled = Counter[str]()
    kept: list[int] = []
    for i, label in enumerate(labels):
        if label.label is None:
            unlabeled[label.reason or label.rule] += 1
            exclusions[i] = f"no task category: {label.reason}"
        elif i in overlap:
            exclusions[i] = f"also in test file {overlap[i]}"
        else:
            kept.append(i)

    found = Counter(labels[i].label for i in kept)
    merged = merge_synonym_labels(found, synonyms) if merge_synonyms else {name: name for name in found}
    sizes = Counter[str]()
    for name, count in found.items():
        sizes[merged[name]] += count
    rare = {name for name, count in sizes.items() if count < min_count}
    final: list[tuple[int, str]] = []
    for i in kept:
        name = merged[labels[i].label]
        if name in rare:
            exclusions[i] = f"label {name} has {sizes[name]} instruction(s), fewer than min_count {min_count}"
        else:
            final.append((i, name))
    assignments: list[str | None] = [None] * len(records)
    for i, name in final:
        assignments[i] = name

    train_items, test_items = final, []
    if test_size > 0 and final:
        from sklearn.model_selection import train_test_split

        train_items, test_items = train_test_split(
            final, test_size=test_size, random_state=seed, stratify=[name for _, name in final]
        )
        train_items.sort()
        test_items.sort()

    def to_dict(items: list[tuple[int, str]]) -> dict[str, dict[str, Any]]:
        return _label_dict(
            [(name, _sample(records[i], labels[i], input_field, output_field)) for i, name in items]
        )

    train = to_dict(train_items)
    test = to_dict(test_items) if test_size > 0 else None
    stats = _labeling_stats(
        records, labels, unlabeled, found, sizes, rare, overlap, min_count, test_files, final,
        train_items, test_items,
    )  # fmt: skip
    return IEBDataset(train=train, test=test, assignments=assignments, exclusions=exclusions, stats=stats)
