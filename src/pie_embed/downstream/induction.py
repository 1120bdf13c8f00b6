"""Instruction Induction data for the downstream benchmarks, and the seeded pool / query split of the
in-context-learning benchmark (demonstration pool with distractors, queries with held-out wordings)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pie_embed.data.formats import open_rows
from pie_embed.data.readers import join_text, read_instructions
from pie_embed.errors import DataError

EXAMPLES_FILE = "instruction_induction_examples.jsonl"
INSTRUCTIONS_FILE = "instruction_induction_instructions.jsonl"
# extra fields whose values are other correct answers (the data README's scoring)
ACCEPTED_EXTRA = ("possible_translations", "possible_outputs", "all_common_concepts", "other_rhymes")
DISTRACTOR_TASK = "alpaca"  # the task of every distractor demonstration (never a query's task)
SPLITS = ("pool", "test")


@dataclass(frozen=True)
class InductionExample:
    """One Instruction Induction example: its input, its answer and every other answer that counts."""

    task: str
    split: str
    input: str
    output: str
    accepted: tuple[str, ...]
    line: int


@dataclass
class InductionData:
    """The examples of ``instruction_induction_examples.jsonl`` and, per task, the annotators' wordings."""

    examples: list[InductionExample]
    instructions: dict[str, list[str]]
    folder: Path

    @property
    def tasks(self) -> list[str]:
        return sorted(self.instructions)

    def only_tasks(self, tasks: list[str]) -> InductionData:
        """The same data restricted to ``tasks`` (a one-line error naming an unknown task)."""
        unknown = [t for t in tasks if t not in self.instructions]
        if unknown:
            raise DataError(f"{self.folder}: unknown task {unknown[0]!r} (tasks: {', '.join(self.tasks)})")
        keep = set(tasks)
        return InductionData(
            [e for e in self.examples if e.task in keep],
            {t: w for t, w in self.instructions.items() if t in keep},
            self.folder,
        )


def _rows(path: Path) -> list[tuple[int, str, dict[str, Any]]]:
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    opened = open_rows(path, field="instruction", label_field="task", split=None)
    rows = [(raw.line, raw.where, raw.row) for raw in opened.rows]
    if not rows:
        raise DataError(f"{path}: no rows")
    return rows


def _text(path: Path, where: str, row: dict[str, Any], name: str, *, allow_empty: bool = False) -> str:
    if name not in row:
        raise DataError(f"{path}: {where}: missing field {name!r} (fields: {', '.join(map(repr, row))})")
    value = row[name]
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise DataError(f"{path}: {where}: field {name!r} is {type(value).__name__}, expected a string")
    if not allow_empty and not value.strip():
        raise DataError(f"{path}: {where}: field {name!r} is empty")
    return value


def _accepted(path: Path, where: str, row: dict[str, Any], answer: str, given: str) -> tuple[str, ...]:
    extra = row.get("extra") or {}
    if not isinstance(extra, dict):
        raise DataError(f"{path}: {where}: field 'extra' is {type(extra).__name__}, expected an object")
    answers = [answer]
    for name in ACCEPTED_EXTRA:
        values = extra.get(name)
        if values is None:
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise DataError(f"{path}: {where}: field 'extra.{name}' must be a list of strings")
        # a rhyme group lists the input word itself, which is not an answer
        answers += [v for v in values if v.strip().lower() != given.strip().lower()]
    return tuple(dict.fromkeys(answers))


def load_induction(folder: str | Path) -> InductionData:
    """Read the two Instruction Induction files of ``folder`` (``../shared/downstream``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: downstream data folder not found")
    instructions: dict[str, list[str]] = {}
    path = folder / INSTRUCTIONS_FILE
    for _, where, row in _rows(path):
        task = _text(path, where, row, "task")
        instructions.setdefault(task, []).append(_text(path, where, row, "instruction").strip())
    examples = []
    path = folder / EXAMPLES_FILE
    for line, where, row in _rows(path):
        task = _text(path, where, row, "task")
        split = _text(path, where, row, "split")
        if split not in SPLITS:
            raise DataError(f"{path}: {where}: field 'split' is {split!r}, expected pool or test")
        if task not in instructions:
            raise DataError(f"{path}: {where}: task {task!r} has no instructions in {INSTRUCTIONS_FILE}")
        given = _text(path, where, row, "input")
        answer = _text(path, where, row, "output")
        examples.append(
            InductionExample(task, split, given, answer, _accepted(path, where, row, answer, given), line)
        )
    for task, wordings in instructions.items():
        if len(wordings) < 2:
            raise DataError(
                f"{folder / INSTRUCTIONS_FILE}: task {task!r} has {len(wordings)} instruction; the "
                "benchmark needs at least 2 (one for the queries, one for the pool)"
            )
        for split in SPLITS:
            if not any(e.task == task and e.split == split for e in examples):
                raise DataError(f"{folder / EXAMPLES_FILE}: task {task!r} has no {split} examples")
    return InductionData(examples, instructions, folder)


def held_out_count(wordings: int) -> int:
    """How many of a task's annotator instructions the queries use (a third, at least one)."""
    return max(1, round(wordings / 3))


@dataclass
class ICLSplit:
    """The demonstration pool and the queries of one seeded in-context-learning run.

    Pool rows and queries are dicts with ``instruction``, ``input``, ``output`` and ``task`` (the pool's
    distractors have task :data:`DISTRACTOR_TASK`); queries also carry ``accepted``, every answer that
    counts. ``query_instructions[task]`` are the wordings kept out of the pool.
    """

    pool: list[dict[str, Any]]
    queries: list[dict[str, Any]]
    query_instructions: dict[str, list[str]]
    seed: int
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def query_texts(self) -> list[str]:
        """What a retriever embeds for each query: its instruction and input, one per line."""
        return [join_text(q["instruction"], q["input"], "newline") for q in self.queries]

    def task_pool_rows(self) -> dict[str, np.ndarray]:
        """The pool rows of each task (distractors included under their own task)."""
        rows: dict[str, list[int]] = {}
        for i, row in enumerate(self.pool):
            rows.setdefault(row["task"], []).append(i)
        return {task: np.asarray(ids, np.int64) for task, ids in rows.items()}

    def fingerprint(self) -> str:
        """sha256 of the pool and the queries: a run folder's picks and answers belong to this split only."""
        digest = hashlib.sha256()
        for row in [*self.pool, *self.queries]:
            digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n")
        return digest.hexdigest()

    def write_pool(self, path: str | Path) -> Path:
        """The pool as JSONL (``instruction``, ``input``, ``output``, ``label``) for DemonstrationIndex."""
        path = Path(path)
        with open(path, "w", encoding="utf-8") as stream:
            for row in self.pool:
                record = {**row, "label": row["task"]}
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        return path


def read_distractors(path: str | Path, count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` rows drawn (seeded) from an Alpaca-style file with ``instruction``, ``input``, ``output``.

    Only rows with an answer can be demonstrations: rows whose ``output`` is empty are never drawn (the
    count of such rows is in the error when too few remain); a field of the wrong type is an error."""
    path = Path(path)
    if count == 0:
        return []
    dataset = read_instructions(path, field="instruction")
    rows = []
    for record in dataset.records:
        where = f"line {record.line}"
        rows.append(
            {
                "instruction": record.text.strip(),
                "input": _text(path, where, record.row, "input", allow_empty=True),
                "output": _text(path, where, record.row, "output", allow_empty=True),
                "task": DISTRACTOR_TASK,
            }
        )
    answered = {i for i, row in enumerate(rows) if row["output"].strip()}
    if count > len(answered):
        raise DataError(
            f"{path}: {count} distractors asked for, the file has {len(answered)} rows with an output "
            f"({len(rows) - len(answered)} with an empty one)"
        )
    rng = np.random.default_rng(seed)
    drawn = rng.choice(len(rows), size=count, replace=False).tolist()
    chosen = [i for i in drawn if i in answered]
    if len(chosen) < count:  # a row without an output was drawn: draw again among the others
        rest = sorted(answered - set(drawn))
        chosen += rng.choice(rest, size=count - len(chosen), replace=False).tolist()
    return [rows[i] for i in sorted(chosen)]


def build_icl_split(
    data: InductionData,
    distractors: list[dict[str, Any]],
    *,
    per_task: int = 10,
    seed: int = 0,
) -> ICLSplit:
    """Pool: every pool example with one of its task's pool wordings (seeded), plus ``distractors``.
    Queries: ``per_task`` test examples per task (seeded), each with one of the held-out wordings."""
    if per_task < 1:
        raise DataError(f"per_task must be at least 1, got {per_task}")
    rng = np.random.default_rng(seed)
    held: dict[str, list[str]] = {}
    pool_wordings: dict[str, list[str]] = {}
    for task in data.tasks:
        wordings = list(data.instructions[task])
        order = rng.permutation(len(wordings))
        cut = held_out_count(len(wordings))
        held[task] = [wordings[i] for i in order[:cut]]
        pool_wordings[task] = [wordings[i] for i in order[cut:]]
    pool: list[dict[str, Any]] = []
    for example in data.examples:
        if example.split == "pool":
            wordings = pool_wordings[example.task]
            pool.append(
                {
                    "instruction": wordings[int(rng.integers(len(wordings)))],
                    "input": example.input,
                    "output": example.output,
                    "task": example.task,
                }
            )
    pool += distractors
    queries: list[dict[str, Any]] = []
    for task in data.tasks:
        tests = [e for e in data.examples if e.task == task and e.split == "test"]
        chosen = sorted(rng.choice(len(tests), size=min(per_task, len(tests)), replace=False).tolist())
        for index in chosen:
            example = tests[index]
            queries.append(
                {
                    "instruction": held[task][int(rng.integers(len(held[task])))],
                    "input": example.input,
                    "output": example.output,
                    "accepted": list(example.accepted),
                    "task": task,
                }
            )
    settings = {"per_task": per_task, "distractors": len(distractors), "seed": seed, "tasks": data.tasks}
    return ICLSplit(pool, queries, held, seed, settings)
