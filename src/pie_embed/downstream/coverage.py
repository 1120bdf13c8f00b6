"""Data selection: does a selected subset cover the tasks of a labeled pool?

For each pool, model, selection method and fraction, `pie select`'s own selection is run over several
seeds (a seeded row order and k-means seed) and scored by the tasks it covers, the normalised entropy
of its task distribution, and the largest task's share; random subsets are the baseline.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pie_embed.benchmark.report import rounded
from pie_embed.embedding.normalize import unit_rows
from pie_embed.errors import DataError
from pie_embed.tools.select import METHODS, select_instructions

FRACTIONS = (0.01, 0.05, 0.10)
POOLS = ("ieb", "t0", "induction")
T0_FILE = "t0_prompted_instances.jsonl"
SELECT_SEEDS = 5
RANDOM = "random"


@dataclass
class LabeledPool:
    """Texts to select from and each one's task."""

    name: str
    texts: list[str]
    tasks: list[str]

    def __post_init__(self) -> None:
        if not self.texts or len(self.texts) != len(self.tasks):
            raise DataError(f"pool {self.name!r}: needs as many task labels as texts, and at least one")

    @property
    def task_count(self) -> int:
        return len(set(self.tasks))


@dataclass(frozen=True)
class SubsetTasks:
    """How the tasks of one subset are spread."""

    covered: int
    entropy: float  # normalised by the log of the pool's task count: 1 = every task equally often
    largest_share: float


def subset_tasks(tasks: Sequence[str], chosen: Sequence[int], task_count: int) -> SubsetTasks:
    """The task spread of rows ``chosen`` of a pool whose rows have ``tasks`` (``task_count`` in all)."""
    counts = np.asarray(list(Counter(tasks[i] for i in chosen).values()), np.float64)
    if counts.size == 0:
        return SubsetTasks(0, 0.0, 0.0)
    share = counts / counts.sum()
    entropy = float(-(share * np.log(share)).sum() / np.log(task_count)) if task_count > 1 else 1.0
    return SubsetTasks(int(counts.size), entropy, float(share.max()))


@dataclass
class CoverageRow:
    """Mean and standard deviation over seeds of one (pool, selector, method, fraction)."""

    pool: str
    selector: str  # a model name, or "random"
    method: str
    fraction: float
    n: int
    seeds: int
    tasks_total: int
    covered_mean: float
    covered_sd: float
    entropy_mean: float
    entropy_sd: float
    largest_share_mean: float
    selected_mean: float  # rows actually chosen (diverse may stop short of n)


@dataclass
class CoverageResult:
    rows: list[CoverageRow]
    machine: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "benchmark": "select",
            "machine": self.machine,
            "seconds": self.seconds,
            "rows": [rounded(r) for r in self.rows],
        }


def _summarise(
    pool: LabeledPool,
    selector: str,
    method: str,
    fraction: float,
    n: int,
    runs: list[tuple[SubsetTasks, int]],
) -> CoverageRow:
    covered = np.asarray([r.covered for r, _ in runs], np.float64)
    entropy = np.asarray([r.entropy for r, _ in runs], np.float64)
    return CoverageRow(
        pool=pool.name,
        selector=selector,
        method=method,
        fraction=fraction,
        n=n,
        seeds=len(runs),
        tasks_total=pool.task_count,
        covered_mean=float(covered.mean()),
        covered_sd=float(covered.std()),
        entropy_mean=float(entropy.mean()),
        entropy_sd=float(entropy.std()),
        largest_share_mean=float(np.mean([r.largest_share for r, _ in runs])),
        selected_mean=float(np.mean([count for _, count in runs])),
    )


def selection_coverage(
    pools: Sequence[LabeledPool],
    embed: Callable[[str, list[str]], np.ndarray],
    models: Sequence[str],
    *,
    fractions: Sequence[float] = FRACTIONS,
    methods: Sequence[str] = METHODS,
    seeds: int = SELECT_SEEDS,
    log: Callable[[str], None] = lambda message: None,
) -> CoverageResult:
    """Score every (pool, model, method, fraction) over ``seeds`` seeds, and random subsets alike.

    ``embed(model, texts)`` returns the vectors of ``texts`` under ``model``. Seed s shuffles the row
    order (DBSCAN and the diverse filter depend on it) and seeds k-means.
    """
    from pie_embed.benchmark.machine import machine_info

    if seeds < 1:
        raise DataError(f"seeds must be at least 1, got {seeds}")
    if any(not 0 < f <= 1 for f in fractions):
        raise DataError(f"fractions must lie in (0, 1], got {list(fractions)}")
    rows: list[CoverageRow] = []
    seconds: dict[str, float] = {}
    for pool in pools:
        sizes = {f: max(1, round(f * len(pool.texts))) for f in fractions}
        for fraction, n in sizes.items():
            runs = []
            for seed in range(seeds):
                chosen = np.random.default_rng([seed, 3]).choice(len(pool.texts), size=n, replace=False)
                runs.append((subset_tasks(pool.tasks, chosen.tolist(), pool.task_count), n))
            rows.append(_summarise(pool, RANDOM, RANDOM, fraction, n, runs))
        for model in models:
            tic = time.perf_counter()
            log(f"{pool.name}: embedding {len(pool.texts)} rows with {model}")
            vectors = unit_rows(embed(model, pool.texts))
            for method in methods:
                for fraction, n in sizes.items():
                    runs = []
                    for seed in range(seeds):
                        order = np.random.default_rng([seed, 4]).permutation(len(pool.texts))
                        picked = select_instructions(vectors[order], n, method, seed=seed).indices
                        chosen = order[picked].tolist()
                        runs.append((subset_tasks(pool.tasks, chosen, pool.task_count), len(chosen)))
                    rows.append(_summarise(pool, model, method, fraction, n, runs))
            seconds[f"{pool.name} {model}"] = round(time.perf_counter() - tic, 1)
    return CoverageResult(rows, machine_info(), seconds)


def ieb_pool(folder: str | Path) -> LabeledPool:
    """IEB's ``eft_test.json``: its instructions and their task labels."""
    from pie_embed.benchmark.ieb import read_labeled

    labeled = read_labeled(Path(folder) / "eft_test.json")
    return LabeledPool("ieb_eft_test", labeled.texts, labeled.labels)


def labeled_file_pool(path: str | Path, name: str | None = None) -> LabeledPool:
    """A labeled file (``instruction`` and ``label`` fields, as the dev panel's sets)."""
    from pie_embed.benchmark.ieb import read_labeled

    labeled = read_labeled(path)
    return LabeledPool(name or Path(path).stem, labeled.texts, labeled.labels)


def induction_pool(data_dir: str | Path, seed: int = 0, tasks: list[str] | None = None) -> LabeledPool:
    """The Instruction Induction pool as the in-context-learning benchmark builds it, without distractors."""
    from pie_embed.data.readers import join_text
    from pie_embed.downstream.induction import build_icl_split, load_induction

    data = load_induction(data_dir)
    if tasks:
        data = data.only_tasks(tasks)
    split = build_icl_split(data, [], seed=seed)
    texts = [join_text(row["instruction"], row["input"], "newline") for row in split.pool]
    return LabeledPool("instruction_induction_pool", texts, [row["task"] for row in split.pool])


def named_pools(
    names: Sequence[str],
    *,
    ieb_dir: str | Path | None = None,
    panel_dir: str | Path | None = None,
    downstream_dir: str | Path | None = None,
    seed: int = 0,
    tasks: list[str] | None = None,
) -> list[LabeledPool]:
    """The pools ``names`` (:data:`POOLS`; none: all three), their folders given or found as
    :func:`pie_embed.paths.data_dir` finds data."""
    from pie_embed.errors import ConfigError
    from pie_embed.paths import data_dir

    unknown = [name for name in names if name not in POOLS]
    if unknown:
        raise ConfigError(f"--pool must be one of {', '.join(POOLS)}, got {unknown[0]!r}")
    pools: list[LabeledPool] = []
    for name in names or POOLS:
        if name == "ieb":
            pools.append(ieb_pool(data_dir("ieb", ieb_dir)))
        elif name == "t0":
            folder = data_dir("generalization", panel_dir, option="--panel-dir")
            pools.append(labeled_file_pool(folder / T0_FILE, "t0_prompted_instances"))
        else:
            folder = data_dir("downstream", downstream_dir, option="--downstream-dir")
            pools.append(induction_pool(folder, seed, tasks))
    return pools
