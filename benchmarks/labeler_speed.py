"""Task labeler: throughput and agreement with IEB's gold labels, side by side with the naive approach.

    .venv/bin/python benchmarks/labeler_speed.py        # writes benchmarks/results/labeler_speed.json

The naive approach is what a user would write with spaCy alone (Self-Instruct's analysis): the full
pipeline (``spacy.load`` with every pipe) over whole instructions, root verb + its first direct object.
Every method labels the distinct instructions of each file, in one process, one after the other, with no
label cache; instructions/s counts distinct instructions over wall time (parsing included).
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

from pie_embed.benchmark.machine import machine_info

ROOT = Path(__file__).resolve().parents[1]
IEB = ROOT.parent / "shared" / "ieb"
sys.path.insert(0, str(ROOT))


def naive_labels(nlp, texts: list[str]) -> list[str | None]:
    labels = []
    for doc in nlp.pipe(texts, batch_size=256):
        root = next(iter(doc.sents)).root
        objects = [c for c in root.children if c.dep_ == "dobj"]
        labels.append(f"{root.lemma_.lower()}|{objects[0].lemma_.lower()}" if objects else None)
    return labels


def agreement(predicted: list[str | None], gold: list[str]) -> float:
    return sum(p in g.split("##") for p, g in zip(predicted, gold, strict=True)) / len(gold)


def main() -> None:
    import spacy

    from pie_embed.labeling import TaskLabeler, read_gold_labels
    from pie_embed.labeling.labeler import DEFAULT_PIPELINE

    sets = {}
    for name in ("eft_test", "intention_similarity_test"):
        texts, gold = read_gold_labels(IEB / f"{name}.json")
        distinct = dict(zip(texts, gold, strict=True))
        sets[name] = (list(distinct), list(distinct.values()))
    train = list(dict.fromkeys(json.loads((IEB / "eft_train_unsup.json").read_text())))
    sets["eft_train_unsup"] = (train, None)

    results = []
    full = spacy.load(DEFAULT_PIPELINE)
    methods = [
        ("naive spaCy (full pipeline, root+dobj)", lambda t: naive_labels(full, t)),
        ("pie-embed TaskLabeler", lambda t: [x.label for x in TaskLabeler().label_many(t)]),
        (
            "pie-embed TaskLabeler n_process=2",
            lambda t: [x.label for x in TaskLabeler(n_process=2).label_many(t)],
        ),
    ]
    for set_name, (texts, gold) in sets.items():
        for method, run in methods:
            run(texts[:200])  # warm-up: model loading and first batches
            start = time.perf_counter()
            predicted = run(texts)
            seconds = time.perf_counter() - start
            row = {
                "set": set_name,
                "method": method,
                "instructions": len(texts),
                "seconds": round(seconds, 2),
                "per_second": round(len(texts) / seconds, 1),
                "exact": None if gold is None else round(agreement(predicted, gold), 4),
            }
            results.append(row)
            print(json.dumps(row), flush=True)
    out = ROOT / "benchmarks" / "results" / "labeler_speed.json"
    machine = {**machine_info(), "platform": platform.platform()}
    out.write_text(json.dumps({"machine": machine, "results": results}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
