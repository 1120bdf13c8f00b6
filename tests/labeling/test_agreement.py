from __future__ import annotations

import json

import pytest

from pie_embed.errors import DataError
from pie_embed.labeling.agreement import label_agreement, read_gold_labels
from pie_embed.labeling.rules import TaskLabel


def test_agreement_counts_synonym_members_and_parts():
    texts = ["a", "b", "c", "d"]
    predicted = [
        TaskLabel("compute", "value", "r"),  # member of a merged gold label
        TaskLabel("find", "title", "r"),  # verb right, noun wrong
        TaskLabel("sort", "list", "r"),  # noun right, verb wrong
        TaskLabel(None, None, "no-verb", "no verb"),
    ]
    gold = ["compute|value##calculate|value", "find|name", "order|list", "write|poem"]
    result = label_agreement(texts, predicted, gold)
    assert result.count == 4 and result.unlabeled == 1
    assert result.exact == pytest.approx(0.25)
    assert result.verb == pytest.approx(0.5) and result.noun == pytest.approx(0.5)
    assert [(c.gold, c.predicted) for c in result.confusions][:1] == [("find|name", "find|title")]
    assert result.confusions[-1].predicted is None and result.confusions[-1].rule == "no-verb"


def test_confusions_are_sorted_by_count():
    predicted = [TaskLabel("a", "b", "r")] * 3 + [TaskLabel("c", "d", "r")]
    result = label_agreement(["x", "y", "z", "w"], predicted, ["e|f"] * 3 + ["g|h"], top=1)
    assert len(result.confusions) == 1 and result.confusions[0].count == 3


def test_read_gold_from_label_dict_iis_pairs_and_jsonl(tmp_path):
    label_dict = tmp_path / "ieb.json"
    sample = {"category": ["sort", "list"], "instruction": "Sort the list.", "input": "", "output": ""}
    label_dict.write_text(json.dumps({"sort|list": {"number": 1, "samples": [sample]}}))
    assert read_gold_labels(label_dict) == (["Sort the list."], ["sort|list"])

    pairs = tmp_path / "iis.json"
    rows = [
        {
            "instruction1": "Sort it. ",
            "intention1": "sort|list",
            "instruction2": "Write.",
            "intention2": "write|poem",
            "label": 0,
        },
        {
            "instruction1": "Sort it.",
            "intention1": "sort|list",
            "instruction2": "Order it.",
            "intention2": "sort|list",
            "label": 1,
        },
    ]
    pairs.write_text(json.dumps(rows))
    texts, gold = read_gold_labels(pairs)
    assert texts == ["Sort it.", "Write.", "Order it."] and gold == ["sort|list", "write|poem", "sort|list"]

    jsonl = tmp_path / "gold.jsonl"
    jsonl.write_text('{"instruction": "Sort it.", "label": "sort|list"}\n{"instruction": "Write."}\n')
    with pytest.raises(DataError, match=r"gold.jsonl.*line 2.*label"):
        read_gold_labels(jsonl)


def test_mismatched_lengths_are_an_error():
    with pytest.raises(DataError):
        label_agreement(["a"], [], ["x|y"])
