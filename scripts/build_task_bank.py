"""Rebuild the task bank that ships inside the package (src/pie_embed/tools/data/task_bank.jsonl).

One row per known task: its name (``label``), a category, a one-line definition (``instruction``, the
text that is embedded) and its source. Built from ../shared/train_other (Apache-2.0; origin and licence in
src/pie_embed/tools/data/NOTICE.md):

- the 745 Super-NaturalInstructions *train* tasks: the task's Definition, with its SNI category;
- the 164 Self-Instruct seed tasks: the seed instruction, category "Self-Instruct seed task".

    python scripts/build_task_bank.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "pie_embed" / "tools" / "data" / "task_bank.jsonl"
MAX_CHARS = 600  # a definition is cut at a word boundary past this; the task is stated at its start


def one_line(text: str) -> str:
    """The task statement alone (no example input), whitespace collapsed, cut at MAX_CHARS."""
    text = re.split(r"\n\s*\nInput:", text, maxsplit=1)[0]
    text = text.split("\n\n", 1)[0] if "\n\n" in text and len(text) > MAX_CHARS else text
    text = " ".join(text.split())
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS].rsplit(" ", 1)[0] + " ..."
    return text


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


# file -> (the kind of row preferred as a task's text, its source name); SNI rows carry their category
SOURCES = {
    "sni_train_tasks.jsonl": ("definition", "super-natural-instructions"),
    "selfinstruct_seed_tasks.jsonl": ("instruction", "self-instruct"),
}


def bank_rows(shared: Path) -> list[dict]:
    rows: dict[str, dict] = {}
    for name, (preferred, source) in SOURCES.items():
        # a task's bare statement first; rows with an input only where a task has no bare statement
        found = read_jsonl(shared / "train_other" / name)
        for row in sorted(found, key=lambda r, kind=preferred: r["kind"] != kind):
            rows.setdefault(
                row["label"],
                {
                    "instruction": one_line(row["instruction"]),
                    "label": row["label"],
                    "category": row.get("category", "Self-Instruct seed task"),
                    "source": source,
                },
            )
    return sorted(rows.values(), key=lambda r: (r["source"], r["label"]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    rows = bank_rows(args.shared)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} tasks to {OUTPUT} ({OUTPUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
