"""Presenting labeling results: agreement with gold labels and dataset statistics as rich tables."""

from __future__ import annotations

from rich.table import Table

from pie_embed.labeling.agreement import LabelAgreement
from pie_embed.labeling.dataset import LabelingStats

__all__ = ["agreement_table", "confusion_table", "stats_table"]


def agreement_table(agreement: LabelAgreement, title: str) -> Table:
    """Exact, verb-only and noun-only agreement on one row."""
    table = Table(title=title)
    for column in ("instructions", "exact", "verb", "noun", "unlabeled"):
        table.add_column(column, justify="right")
    table.add_row(
        str(agreement.count),
        f"{agreement.exact:.1%}",
        f"{agreement.verb:.1%}",
        f"{agreement.noun:.1%}",
        str(agreement.unlabeled),
    )
    return table


def confusion_table(agreement: LabelAgreement) -> Table:
    """The commonest disagreements, each with an example and the rule that fired."""
    table = Table(title="commonest disagreements")
    for column in ("n", "gold", "predicted", "rule", "example"):
        table.add_column(column, overflow="fold")
    for confusion in agreement.confusions:
        example = " ".join(confusion.example.split())
        table.add_row(
            str(confusion.count),
            confusion.gold,
            confusion.predicted or "(none)",
            confusion.rule,
            example[:80] + ("..." if len(example) > 80 else ""),
        )
    return table


def stats_table(stats: LabelingStats) -> Table:
    """Labels found, samples per label, and every reason an instruction was left out."""
    table = Table(title="task labels", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    rows = [
        ("instructions (distinct)", f"{stats.instructions} ({stats.distinct})"),
        ("labeled", f"{stats.labeled} ({1 - stats.unlabeled_share:.1%})"),
        ("unlabeled", f"{stats.unlabeled} ({stats.unlabeled_share:.1%})"),
        *((f"  {reason}", str(count)) for reason, count in stats.unlabeled_reasons.items()),
        ("test files checked", ", ".join(stats.test_files) or "none"),
        ("also in test files (left out)", str(stats.test_overlap)),
        ("labels found / synonym-merged", f"{stats.labels_found} / {stats.merged_labels}"),
        (
            f"labels under min_count {stats.min_count} (left out)",
            f"{stats.low_frequency_labels} ({stats.low_frequency_instructions} instructions)",
        ),
        ("labels kept", str(stats.labels)),
        ("samples kept (train / test)", f"{stats.samples} ({stats.train_samples} / {stats.test_samples})"),
        ("samples per label", ", ".join(f"{k} {v:g}" for k, v in stats.samples_per_label.items())),
        ("top labels", ", ".join(f"{name} {count}" for name, count in stats.top_labels[:5])),
    ]
    for what, value in rows:
        table.add_row(what, value)
    return table
