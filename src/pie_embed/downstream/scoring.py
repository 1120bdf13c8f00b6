"""Exact-match scoring and bootstrap intervals for the downstream benchmarks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BOOTSTRAP_SAMPLES = 1000


def normalize_answer(text: str) -> str:
    """The form answers are compared in: stripped and lower-cased (Instruction Induction's exact match)."""
    return text.strip().lower()


def first_line(generation: str) -> str:
    """The answer part of a generation: its first line (a model continues with the next example)."""
    return generation.strip().split("\n", 1)[0] if generation.strip() else ""


def is_correct(answer: str, accepted: Sequence[str]) -> bool:
    """Whether ``answer`` equals one of the ``accepted`` answers after :func:`normalize_answer`."""
    given = normalize_answer(answer)
    return any(given == normalize_answer(a) for a in accepted)


@dataclass(frozen=True)
class Interval:
    """A mean with its 95% percentile-bootstrap interval over ``n`` items."""

    mean: float
    low: float
    high: float
    n: int

    def to_dict(self) -> dict[str, float | int]:
        return {
            "mean": round(self.mean, 4),
            "low": round(self.low, 4),
            "high": round(self.high, 4),
            "n": self.n,
        }

    def __str__(self) -> str:
        return f"{self.mean:.3f} [{self.low:.3f}, {self.high:.3f}]"


def bootstrap_interval(
    values: np.ndarray,
    *,
    paired_with: np.ndarray | None = None,
    samples: int = BOOTSTRAP_SAMPLES,
    seed: int = 0,
) -> Interval:
    """Mean of ``values`` (or of ``values - paired_with``, resampling the same items for both) with a
    95% percentile-bootstrap interval; items are resampled with replacement, seeded."""
    values = np.asarray(values, np.float64)
    if paired_with is not None:
        values = values - np.asarray(paired_with, np.float64)
    n = len(values)
    if n == 0:
        return Interval(float("nan"), float("nan"), float("nan"), 0)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, n, size=(samples, n))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Interval(float(values.mean()), float(low), float(high), n)
