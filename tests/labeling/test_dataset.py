from __future__ import annotations

import json
from collections import Counter

import pytest

from pie_embed.data.readers import InstructionRecord
from pie_embed.errors import ConfigError
from pie_embed.labeling.dataset import build_ieb_dataset, find_test_overlap, labeled_rows
from pie_embed.labeling.rules import TaskLabel


class NoSynonyms:
    def senses(self, word: str, pos: str) -> frozenset[str]:
        return frozenset({word})


class ComposeIsWrite:
    def senses(self, word: str, pos: str) -> frozenset[str]:
        return frozenset({"write"} if word in ("write", "compose") else {word})


def records_and_labels(spec):
    """spec: list of (text, label or None)."""
    records, labels = [], []
    for line, (text, label) in enumerate(spec, start=1):
        records.append(
            InstructionRecord(text=text, label=None, row={"instruction": text, "input": "x"}, line=line)
        )
        if label is None:
            labels.append(TaskLabel(None, None, "no-verb", "no verb heads the first sentence"))
        else:
            verb, noun = label.split("|")
            labels.append(TaskLabel(verb, noun, "root-verb:dobj"))
    return records, labels


def test_ieb_shape_min_count_and_exclusions_with_reasons():
    spec = [(f"Write poem {i}.", "write|poem") for i in range(4)]
    spec += [(f"Compose poem {i}.", "compose|poem") for i in range(2)]
    spec += [("Sort the list.", "sort|list"), ("???", None)]
    records, labels = records_and_labels(spec)
    built = build_ieb_dataset(records, labels, min_count=3, synonyms=ComposeIsWrite())
    assert list(built.train) == ["write|poem##compose|poem"]
    entry = built.train["write|poem##compose|poem"]
    assert entry["number"] == 6 and len(entry["samples"]) == 6
    assert entry["samples"][-1] == {
        "category": ["compose", "poem"],
        "instruction": "Compose poem 1.",
        "input": "x",
        "output": "",
    }
    assert set(built.exclusions) == {6, 7}  # nothing dropped silently: each left-out row has a reason
    assert "fewer than min_count 3" in built.exclusions[6] and "no task category" in built.exclusions[7]
    stats = built.stats
    assert (stats.instructions, stats.labeled, stats.labels, stats.samples) == (8, 7, 1, 6)
    assert stats.unlabeled_share == pytest.approx(1 / 8) and stats.low_frequency_labels == 1
    assert stats.unlabeled_reasons == {"no verb heads the first sentence": 1}
    rows = labeled_rows(records, labels, built)
    assert rows[0]["ieb_label"] == "write|poem##compose|poem" and rows[7]["ieb_label"] is None
    assert rows[7]["task_reason"] and rows[7]["excluded"].startswith("no task category")


def test_stratified_split_keeps_every_label_in_both_parts():
    spec = [(f"Write poem {i}.", "write|poem") for i in range(10)] + [
        (f"Sort list {i}.", "sort|list") for i in range(5)
    ]
    records, labels = records_and_labels(spec)
    built = build_ieb_dataset(records, labels, min_count=2, test_size=0.4, seed=1, synonyms=NoSynonyms())
    assert built.test is not None
    assert {k: v["number"] for k, v in built.test.items()} == {"write|poem": 4, "sort|list": 2}
    assert {k: v["number"] for k, v in built.train.items()} == {"write|poem": 6, "sort|list": 3}
    train_texts = {s["instruction"] for v in built.train.values() for s in v["samples"]}
    test_texts = {s["instruction"] for v in built.test.values() for s in v["samples"]}
    assert not train_texts & test_texts and len(train_texts | test_texts) == 15
    again = build_ieb_dataset(records, labels, min_count=2, test_size=0.4, seed=1, synonyms=NoSynonyms())
    assert again.test == built.test  # the seed fixes the split


def test_split_needs_min_count_two():
    records, labels = records_and_labels([("Write.", "write|poem")])
    with pytest.raises(ConfigError, match="min_count"):
        build_ieb_dataset(records, labels, test_size=0.2)


def test_test_overlap_is_found_ignoring_case_and_spacing_and_left_out(tmp_path):
    test_file = tmp_path / "test.json"
    sample = {"category": ["sort", "list"], "instruction": "Sort  the LIST.", "input": "", "output": ""}
    test_file.write_text(json.dumps({"sort|list": {"number": 1, "samples": [sample]}}))
    pairs = tmp_path / "iis.json"
    pairs.write_text(json.dumps([{"instruction1": "Write a poem.", "instruction2": "x y", "label": 0}]))
    assert find_test_overlap(["sort the list.", "Write a poem.", "other"], [test_file, pairs]) == {
        0: str(test_file),
        1: str(pairs),
    }
    records, labels = records_and_labels([("Sort the list.", "sort|list"), ("Sort it all.", "sort|list")])
    built = build_ieb_dataset(records, labels, test_files=[test_file], synonyms=NoSynonyms())
    assert built.stats.test_overlap == 1 and built.exclusions[0].startswith("also in test file")
    assert built.train["sort|list"]["number"] == 1


def test_write_creates_train_test_and_stats(tmp_path):
    spec = [(f"Write poem {i}.", "write|poem") for i in range(4)] + [
        (f"Sort {i}.", "sort|list") for i in range(4)
    ]
    records, labels = records_and_labels(spec)
    built = build_ieb_dataset(records, labels, min_count=2, test_size=0.5, synonyms=NoSynonyms())
    written = built.write(tmp_path / "my_ieb.json")
    assert [p.name for p in written] == ["my_ieb.json", "my_ieb.test.json", "my_ieb.stats.json"]
    train = json.loads((tmp_path / "my_ieb.json").read_text())
    assert Counter({k: v["number"] for k, v in train.items()}) == Counter({"write|poem": 2, "sort|list": 2})
    stats = json.loads((tmp_path / "my_ieb.stats.json").read_text())
    assert stats["samples"] == 8 and stats["unlabeled_share"] == 0.0
