from __future__ import annotations

import pytest

from pie_embed.errors import ConfigError
from pie_embed.labeling import TaskLabeler
from pie_embed.labeling.labeler import _LabelStore


def test_order_and_duplicates_are_kept(labeler):
    texts = ["Write a poem.", "Sort the list.", "Write a poem.", ""]
    labels = labeler.label_many(texts)
    assert [label.label for label in labels] == ["write|poem", "sort|list", "write|poem", None]
    assert labels[3].reason == "empty instruction"


def test_cache_resumes_an_interrupted_run(labeler, tmp_path):
    cached = TaskLabeler(labeler.nlp, cache=True, cache_dir=tmp_path)
    first = cached.label_many(["Write a poem.", "Sort the list."])
    store = next((tmp_path / "labels").glob("*.jsonl"))
    # An interruption can leave a cut line; it is ignored and that text labeled again.
    store.write_text(store.read_text() + '{"key": "abc", "verb": "wr')
    again = TaskLabeler(labeler.nlp, cache=True, cache_dir=tmp_path)
    assert len(again._store.known) == 2
    parsed = []
    original = again._parse
    again._parse = lambda texts: parsed.extend(texts) or original(texts)
    labels = again.label_many(["Write a poem.", "Sort the list.", "List three countries."])
    assert labels[:2] == first and labels[2].label == "list|country"
    assert "Write a poem." not in parsed and parsed  # only the new text was parsed
    assert _LabelStore.key("a") != _LabelStore.key("b")


def test_bad_settings_and_unknown_pipeline():
    with pytest.raises(ConfigError, match="batch_size"):
        TaskLabeler(object(), batch_size=0)
    with pytest.raises(ConfigError, match="no_such_pipeline"):
        TaskLabeler("no_such_pipeline")
