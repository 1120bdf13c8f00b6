"""In-context learning with retrieved demonstrations: does a task-aware retriever help an LLM?

Every condition (no demonstrations, random ones, BM25, each embedding model, the oracle) answers the same
queries with the same LLMs; answers are scored by exact match. A run folder keeps the picks and every
answer as it is produced, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pie_embed.data.atomic import write_json
from pie_embed.data.shards import setting_changes
from pie_embed.downstream.generator import GENERATION_BATCH, MAX_NEW_TOKENS, Generator, load_generator
from pie_embed.downstream.induction import ICLSplit, build_icl_split, load_induction, read_distractors
from pie_embed.downstream.pickers import (
    BM25,
    ORACLE,
    RANDOM,
    ZERO_SHOT,
    BM25Picker,
    DemonstrationPicker,
    EmbeddingPicker,
    OraclePicker,
    RandomPicker,
    ZeroShotPicker,
    same_task_precision,
)
from pie_embed.downstream.scoring import Interval, bootstrap_interval, first_line, is_correct
from pie_embed.embedding.models import BASE_MODEL, DEFAULT_MODEL
from pie_embed.errors import DataError
from pie_embed.progress import progress_bar
from pie_embed.tools.retrieve import Demonstration, few_shot_prompt

# the topic embedder every model is compared with, the shipped default and the static tier
DEFAULT_MODELS = (BASE_MODEL, DEFAULT_MODEL, "pie-static")
SETTINGS_FILE = "settings.json"
PICKS_FILE = "picks.json"
GENERATIONS_FILE = "generations.jsonl"
LLMS_FILE = "llms.json"  # each LLM's describe(): version, decoding, token limit
SECONDS_FILE = "seconds.json"  # how long each step took, kept across resumed runs
RESULT_FILE = "icl.json"
CHUNK = 32  # answers written to the run folder at a time


@dataclass
class ICLSettings:
    """What an in-context-learning run depends on (a run folder resumes only with the same settings)."""

    models: list[str] = field(default_factory=lambda: list(DEFAULT_MODELS))
    llms: list[str] = field(default_factory=lambda: ["smollm2-135m", "gemma3-270m"])
    per_task: int = 6
    distractors: int = 2000
    k: int = 4
    seed: int = 0
    tasks: list[str] | None = None
    max_new_tokens: int = MAX_NEW_TOKENS
    batch_size: int = GENERATION_BATCH

    def __post_init__(self) -> None:
        if self.k < 1 or self.per_task < 1 or self.distractors < 0:
            raise DataError("k and per_task must be at least 1 and distractors at least 0")
        if not self.llms:
            raise DataError("give at least one LLM")
        self.models = list(dict.fromkeys(self.models))

    @property
    def conditions(self) -> list[str]:
        """Every condition, in report order: the floor, the baselines, the models, the ceiling."""
        return [ZERO_SHOT, RANDOM, BM25, *self.models, ORACLE]

    def key(self) -> dict[str, Any]:
        """The settings that decide picks and answers (the LLM list only decides which run)."""
        return {k: v for k, v in asdict(self).items() if k not in ("llms", "models", "batch_size")}


@dataclass
class ICLResult:
    """Every condition's picks, their same-task precision, and each LLM's answers and correctness."""

    settings: dict[str, Any]
    conditions: list[str]
    llms: list[str]
    queries: list[dict[str, Any]]
    precision: dict[str, np.ndarray]
    answers: dict[tuple[str, str], list[str]]
    correct: dict[tuple[str, str], np.ndarray]
    machine: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    generation: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def tasks(self) -> list[str]:
        return sorted({q["task"] for q in self.queries})

    def accuracy(self, llm: str, condition: str, task: str | None = None) -> Interval:
        values = self.correct[(llm, condition)]
        if task is not None:
            values = values[[q["task"] == task for q in self.queries]]
        return bootstrap_interval(values.astype(float))

    def delta(self, llm: str, condition: str, baseline: str = BASE_MODEL) -> Interval | None:
        """Paired accuracy difference of ``condition`` over ``baseline`` (same queries resampled)."""
        if (llm, baseline) not in self.correct or condition == baseline:
            return None
        return bootstrap_interval(
            self.correct[(llm, condition)].astype(float),
            paired_with=self.correct[(llm, baseline)].astype(float),
        )

    def precision_at_k(self, condition: str, task: str | None = None) -> float | None:
        values = self.precision[condition]
        if task is not None:
            values = values[[q["task"] == task for q in self.queries]]
        return None if np.all(np.isnan(values)) else float(np.nanmean(values))

    def accuracy_by_precision(self) -> list[tuple[float, Interval]]:
        """Accuracy by the share of a query's picks that are of its task, pooled over every condition
        with picks and every LLM: how much a pick of the right task is worth to the LLM."""
        groups: dict[float, list[float]] = {}
        for condition in self.conditions:
            for i, share in enumerate(self.precision[condition]):
                if np.isnan(share):
                    continue
                for llm in self.llms:
                    groups.setdefault(round(float(share), 4), []).append(
                        float(self.correct[(llm, condition)][i])
                    )
        return [(share, bootstrap_interval(np.asarray(groups[share]))) for share in sorted(groups)]

    def correctness_matrix(self) -> tuple[list[tuple[str, str]], np.ndarray]:
        """(llm, condition) pairs and a bool matrix [pairs, queries]: what test-set compression reads."""
        pairs = [(llm, c) for llm in self.llms for c in self.conditions]
        return pairs, np.stack([self.correct[p] for p in pairs])

    def to_dict(self) -> dict[str, Any]:
        overall: dict[str, Any] = {}
        per_task: dict[str, Any] = {}
        for condition in self.conditions:
            entry: dict[str, Any] = {"precision_at_k": _round(self.precision_at_k(condition))}
            for llm in self.llms:
                delta = self.delta(llm, condition)
                entry[llm] = {
                    "accuracy": self.accuracy(llm, condition).to_dict(),
                    "delta_vs_base": delta.to_dict() if delta else None,
                }
            overall[condition] = entry
            per_task[condition] = {
                task: {
                    "precision_at_k": _round(self.precision_at_k(condition, task)),
                    **{llm: self.accuracy(llm, condition, task).to_dict() for llm in self.llms},
                }
                for task in self.tasks
            }
        return {
            "benchmark": "icl",
            "settings": self.settings,
            "accuracy_by_precision": [
                {"same_task_share": share, **interval.to_dict()}
                for share, interval in self.accuracy_by_precision()
            ],
            "machine": self.machine,
            "seconds": self.seconds,
            "generation": self.generation,
            "base_model": BASE_MODEL,
            "conditions": self.conditions,
            "llms": self.llms,
            "overall": overall,
            "per_task": per_task,
            "queries": [
                {
                    "task": q["task"],
                    "instruction": q["instruction"],
                    "input": q["input"],
                    "output": q["output"],
                    "precision": {c: _round(self.precision[c][i]) for c in self.conditions},
                    "answers": {
                        f"{llm}|{c}": self.answers[(llm, c)][i] for llm in self.llms for c in self.conditions
                    },
                    "correct": {
                        f"{llm}|{c}": bool(self.correct[(llm, c)][i])
                        for llm in self.llms
                        for c in self.conditions
                    },
                }
                for i, q in enumerate(self.queries)
            ],
        }

    @classmethod
    def load(cls, path: str | Path) -> ICLResult:
        """Read an ``icl.json`` written by :func:`run_icl` (a folder: its ``icl.json``)."""
        path = Path(path)
        if path.is_dir():
            path = path / RESULT_FILE
        if not path.is_file():
            raise DataError(f"{path}: no in-context-learning result; run pie bench --downstream icl first")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: invalid JSON: {exc.msg} (line {exc.lineno})") from None
        if data.get("benchmark") != "icl" or "queries" not in data:
            raise DataError(f"{path}: not an in-context-learning result (field 'benchmark' is not 'icl')")
        conditions, llms, rows = data["conditions"], data["llms"], data["queries"]
        keys = [(llm, c) for llm in llms for c in conditions]
        return cls(
            settings=data["settings"],
            conditions=conditions,
            llms=llms,
            queries=[{k: q[k] for k in ("task", "instruction", "input", "output")} for q in rows],
            precision={
                c: np.asarray([np.nan if q["precision"][c] is None else q["precision"][c] for q in rows])
                for c in conditions
            },
            answers={key: [q["answers"][f"{key[0]}|{key[1]}"] for q in rows] for key in keys},
            correct={key: np.asarray([q["correct"][f"{key[0]}|{key[1]}"] for q in rows]) for key in keys},
            machine=data.get("machine", {}),
            seconds=data.get("seconds", {}),
            generation=data.get("generation", {}),
        )


def pool_results(results: list[ICLResult]) -> ICLResult:
    """Several runs (other ``--seed`` splits, say) as one: their queries concatenated, over the conditions
    and LLMs every run has, so that intervals and paired differences cover all queries."""
    if not results:
        raise DataError("no in-context-learning results to pool")
    conditions = [c for c in results[0].conditions if all(c in r.conditions for r in results)]
    llms = [m for m in results[0].llms if all(m in r.llms for r in results)]
    keys = [(llm, c) for llm in llms for c in conditions]
    return ICLResult(
        settings={"k": results[0].settings.get("k"), "pooled": [r.settings for r in results]},
        conditions=conditions,
        llms=llms,
        queries=[q for r in results for q in r.queries],
        precision={c: np.concatenate([r.precision[c] for r in results]) for c in conditions},
        answers={key: [a for r in results for a in r.answers[key]] for key in keys},
        correct={key: np.concatenate([r.correct[key] for r in results]) for key in keys},
        machine=results[0].machine,
    )


def _round(value: float | None) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), 4)


def demonstration_prompt(split: ICLSplit, query: dict[str, Any], rows: list[int]) -> str:
    """The Alpaca few-shot prompt of ``pie retrieve`` with pool ``rows`` as the demonstrations."""
    demos = [
        Demonstration(rank + 1, j, 0.0, split.pool[j]["instruction"], split.pool[j]["task"], split.pool[j])
        for rank, j in enumerate(rows)
    ]
    return few_shot_prompt(query, demos)


def make_pickers(settings: ICLSettings, pool: Path, show_progress: bool) -> dict[str, DemonstrationPicker]:
    pickers: dict[str, DemonstrationPicker] = {
        ZERO_SHOT: ZeroShotPicker(),
        RANDOM: RandomPicker(settings.seed),
        BM25: BM25Picker(),
        ORACLE: OraclePicker(settings.seed),
    }
    for model in settings.models:
        pickers[model] = EmbeddingPicker(model, pool, show_progress=show_progress)
    return pickers


class RunFolder:
    """The run folder: settings, picks per condition, and answers appended as they are produced."""

    def __init__(self, folder: str | Path, key: dict[str, Any]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        settings_path = self.folder / SETTINGS_FILE
        if settings_path.is_file():
            earlier = json.loads(settings_path.read_text(encoding="utf-8"))
            changed = [k for k in sorted(set(earlier) | set(key)) if earlier.get(k) != key.get(k)]
            if changed:
                raise DataError(
                    f"{self.folder}: holds a run with other settings "
                    f"({setting_changes(earlier, key, changed)}); use another --out folder "
                    "or delete this one"
                )
        else:
            write_json(settings_path, key)
        self.picks: dict[str, list[list[int]]] = {}
        if (self.folder / PICKS_FILE).is_file():
            self.picks = json.loads((self.folder / PICKS_FILE).read_text(encoding="utf-8"))
        self.llms: dict[str, dict[str, Any]] = {}
        if (self.folder / LLMS_FILE).is_file():
            self.llms = json.loads((self.folder / LLMS_FILE).read_text(encoding="utf-8"))
        self.seconds: dict[str, float] = {}
        if (self.folder / SECONDS_FILE).is_file():
            self.seconds = json.loads((self.folder / SECONDS_FILE).read_text(encoding="utf-8"))
        self.answers: dict[tuple[str, str, int], str] = {}
        path = self.folder / GENERATIONS_FILE
        if path.is_file():
            with open(path, encoding="utf-8") as stream:
                for line in stream:
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # a line cut short by an interruption is produced again
                    self.answers[(row["llm"], row["condition"], int(row["query"]))] = row["answer"]

    def save_picks(self, condition: str, picks: list[list[int]]) -> None:
        self.picks[condition] = picks
        write_json(self.folder / PICKS_FILE, self.picks)

    def add_seconds(self, step: str, seconds: float) -> None:
        """Time spent on ``step``, added to what earlier (interrupted) runs spent on it."""
        self.seconds[step] = round(self.seconds.get(step, 0.0) + seconds, 1)
        write_json(self.folder / SECONDS_FILE, self.seconds)

    def save_llm(self, name: str, description: dict[str, Any]) -> None:
        self.llms[name] = description
        write_json(self.folder / LLMS_FILE, self.llms)

    def append(self, rows: list[dict[str, Any]]) -> None:
        with open(self.folder / GENERATIONS_FILE, "a", encoding="utf-8") as stream:
            for row in rows:
                stream.write(json.dumps(row, ensure_ascii=False) + "\n")
                self.answers[(row["llm"], row["condition"], int(row["query"]))] = row["answer"]


def run_icl(
    settings: ICLSettings,
    *,
    data_dir: str | Path,
    distractor_file: str | Path,
    out: str | Path,
    show_progress: bool = False,
    log: Callable[[str], None] = lambda message: None,
    generators: dict[str, Generator] | None = None,
) -> ICLResult:
    """Run every condition with every LLM (resuming what ``out`` already holds) and write ``icl.json``.

    ``generators`` may hand in already loaded LLMs by name (the rest are loaded one at a time).
    """
    from pie_embed.benchmark.machine import machine_info

    started = time.perf_counter()
    data = load_induction(data_dir)
    if settings.tasks:
        data = data.only_tasks(settings.tasks)
    distractors = read_distractors(distractor_file, settings.distractors, settings.seed)
    split = build_icl_split(data, distractors, per_task=settings.per_task, seed=settings.seed)
    # the split's fingerprint: picks and answers are kept only while the data they index is unchanged
    folder = RunFolder(out, {**settings.key(), "split_sha256": split.fingerprint()})
    pickers = make_pickers(settings, split.write_pool(folder.folder / "pool.jsonl"), show_progress)
    for condition in settings.conditions:
        if condition in folder.picks and len(folder.picks[condition]) == len(split.queries):
            continue
        log(f"picking demonstrations: {condition}")
        tic = time.perf_counter()
        folder.save_picks(condition, pickers[condition].pick(split, settings.k))
        folder.add_seconds(f"pick {condition}", time.perf_counter() - tic)
    prompts = {
        c: [demonstration_prompt(split, q, folder.picks[c][i]) for i, q in enumerate(split.queries)]
        for c in settings.conditions
    }
    for llm in settings.llms:
        todo = [
            (c, i)
            for c in settings.conditions
            for i in range(len(split.queries))
            if (llm, c, i) not in folder.answers
        ]
        if not todo:
            continue
        tic = time.perf_counter()
        log(f"{llm}: {len(todo)} answers to generate")
        generator = (generators or {}).get(llm) or load_generator(
            llm, max_new_tokens=settings.max_new_tokens, batch_size=settings.batch_size
        )
        folder.save_llm(llm, generator.describe())
        folder.add_seconds(f"load {llm}", time.perf_counter() - tic)
        todo.sort(key=lambda item: len(prompts[item[0]][item[1]]))
        with progress_bar(len(todo), f"{llm}: answering", show_progress) as advance:
            for start in range(0, len(todo), CHUNK):
                tic = time.perf_counter()
                chunk = todo[start : start + CHUNK]
                outputs = generator.generate([prompts[c][i] for c, i in chunk])
                folder.append(
                    [
                        {"llm": llm, "condition": c, "query": i, "answer": first_line(text)}
                        for (c, i), text in zip(chunk, outputs, strict=True)
                    ]
                )
                folder.add_seconds(f"generate {llm}", time.perf_counter() - tic)
                advance(len(chunk))
        del generator
    answers = {
        (llm, c): [folder.answers[(llm, c, i)] for i in range(len(split.queries))]
        for llm in settings.llms
        for c in settings.conditions
    }
    correct = {
        key: np.asarray([is_correct(a, q["accepted"]) for a, q in zip(values, split.queries, strict=True)])
        for key, values in answers.items()
    }
    seconds = {**folder.seconds, "total this run": round(time.perf_counter() - started, 1)}
    result = ICLResult(
        settings={
            **settings.key(),
            "split_sha256": split.fingerprint(),
            "models": settings.models,
            "pool_rows": len(split.pool),
        },
        conditions=settings.conditions,
        llms=list(settings.llms),
        queries=split.queries,
        precision={c: same_task_precision(split, folder.picks[c]) for c in settings.conditions},
        answers=answers,
        correct=correct,
        machine=machine_info(),
        seconds=seconds,
        generation={llm: folder.llms.get(llm, {}) for llm in settings.llms},
    )
    write_json(folder.folder / RESULT_FILE, result.to_dict())
    return result
