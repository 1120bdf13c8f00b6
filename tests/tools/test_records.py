"""select_records: records in, selected records and every removed one with its reason out."""

from __future__ import annotations

import numpy as np
import pytest

from pie_embed.errors import ConfigError, DataError
from pie_embed.tools.records import DUPLICATE, REPRESENTED, record_texts, select_records

TOPICS = ["translate", "poem", "add", "sort"]


class KeywordEncoder:
    def encode(self, sentences, batch_size=None, show_progress_bar=None, normalize_embeddings=None):
        rows = []
        for text in sentences:  # the same text always gets the same vector
            rows.append([float(k in text) for k in TOPICS] + [0.01 * (sum(map(ord, text)) % 7)])
        return np.array(rows, np.float32)

    def describe(self):
        return {"model": "keywords"}


def test_every_record_is_selected_or_filtered_with_a_reason() -> None:
    records = [{"instruction": f"{topic} item {i}", "id": i} for i, topic in enumerate(TOPICS * 5)]
    records.append(dict(records[0]))  # an exact repeat of the first row
    result = select_records(
        records, 4, columns=["instruction"], embedder=KeywordEncoder(), dedup_threshold=0.99999
    )
    assert len(result.selected) == 4 and len(result.selected) + len(result.filtered) == len(records)
    assert sorted(r["instruction"].split()[0] for r in result.selected) == sorted(TOPICS)
    duplicate = {item.index: item for item in result.filtered}[20]
    assert (duplicate.reason, duplicate.by, duplicate.similarity) == (DUPLICATE, 0, pytest.approx(1))
    represented = [item for item in result.filtered if item.reason == REPRESENTED]
    assert represented and all(records[item.by] in result.selected for item in represented)
    topic = {item.index: item.record["instruction"].split()[0] for item in represented}
    assert all(records[item.by]["instruction"].split()[0] == topic[item.index] for item in represented)
    assert result.selected_ratio == pytest.approx(4 / 21) and result.duplicate_ratio > 0


def test_strings_and_bad_records() -> None:
    assert record_texts(["a", "b"]) == ["a", "b"]
    assert record_texts([{"q": "x", "c": "y"}], ["q", "c"]) == ["x\ny"]
    with pytest.raises(DataError, match=r"record 1: missing field 'q'"):
        record_texts([{"q": "x"}, {"other": "y"}], ["q"])
    with pytest.raises(DataError, match=r"record 0: field 'q' is int"):
        record_texts([{"q": 3}], ["q"])
    with pytest.raises(ConfigError, match="name the columns"):
        record_texts([{"q": "x"}])
    with pytest.raises(DataError, match="record 0 is int"):
        record_texts([3])
    result = select_records(["translate a", "poem b", "add c"], 2, embedder=KeywordEncoder())
    assert len(result.selected) == 2 and len(result.filtered) == 1
