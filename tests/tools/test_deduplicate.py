"""deduplicate(): records, DataFrames and Hugging Face datasets in, semhash-style results out."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pie_embed.embedding.adapter import EncoderAdapter
from pie_embed.errors import ConfigError, DataError
from pie_embed.tools.deduplicate import dedup_file, deduplicate


class BagOfWordsEncoder:
    """Word counts hashed into 64 dimensions: texts sharing most words are close, others are not."""

    dimension = 64

    def encode(self, texts, **_):
        rows = np.zeros((len(texts), 64), np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().replace(".", "").split():
                rows[i, sum(map(ord, word)) * 31 % 64] += 1.0
        return rows


ROWS = [
    {"instruction": "Translate the sentence into French.", "input": "Good morning", "id": 0},
    {"instruction": "Write a poem about the sea.", "input": "", "id": 1},
    {"instruction": "Translate the sentence into French.", "input": "Good night", "id": 2},
    {"instruction": "Translate this sentence into French.", "input": "Good morning", "id": 3},
    {"instruction": "Sort the numbers in ascending order.", "input": "3 1 2", "id": 4},
]


def test_records_keep_every_field_and_each_duplicate_says_what_it_repeats() -> None:
    result = deduplicate(ROWS, columns=["instruction"], threshold=0.75, embedder=BagOfWordsEncoder())
    assert [row["id"] for row in result.selected] == [0, 1, 4] and result.selected[0] == ROWS[0]
    assert [(d.index, d.duplicate_of) for d in result.duplicates] == [(2, 0), (3, 0)]
    assert result.duplicates[0].similarity == pytest.approx(1.0) and result.duplicates[0].record == ROWS[2]
    assert (
        0.75 <= result.duplicates[1].similarity < 1.0 and result.duplicates[1].duplicate_of_record == ROWS[0]
    )
    assert result.duplicate_ratio == pytest.approx(0.4) and result.selected_ratio == pytest.approx(0.6)
    assert result.summary()["kept"] == 3 and result.least_similar_duplicates(1)[0].index == 3


def test_two_columns_tell_rows_with_other_inputs_apart() -> None:
    result = deduplicate(ROWS, columns=["instruction", "input"], threshold=0.99, embedder=BagOfWordsEncoder())
    assert [row["id"] for row in result.selected] == [0, 1, 2, 3, 4] and not result.duplicates


def test_rethreshold_reuses_the_vectors() -> None:
    class CountingEncoder(BagOfWordsEncoder):
        calls = 0

        def encode(self, texts, **options):
            CountingEncoder.calls += 1
            return super().encode(texts, **options)

    first = deduplicate(ROWS, columns=["instruction"], threshold=0.99, embedder=CountingEncoder())
    looser = first.rethreshold(0.75)
    assert CountingEncoder.calls == 1 and len(first.duplicates) == 1 and len(looser.duplicates) == 2
    assert looser.threshold == 0.75 and first.threshold == 0.99
    with_outliers = first.rethreshold(0.99, outliers=0.25)
    assert len(with_outliers.outliers) == 1 and with_outliers.outliers[0].score > 0
    kept = set(with_outliers.selected_indices)
    assert kept.isdisjoint(
        {o.index for o in with_outliers.outliers} | {d.index for d in with_outliers.duplicates}
    )
    assert len(kept) + len(with_outliers.outliers) + len(with_outliers.duplicates) == len(ROWS)


def test_a_dataframe_and_a_dataset_come_back_as_themselves() -> None:
    pandas = pytest.importorskip("pandas")
    datasets = pytest.importorskip("datasets")
    frame = pandas.DataFrame(ROWS, index=[10, 11, 12, 13, 14])
    result = deduplicate(frame, columns=["instruction"], threshold=0.75, embedder=BagOfWordsEncoder())
    assert isinstance(result.selected, pandas.DataFrame) and list(result.selected.index) == [10, 11, 14]
    data = datasets.Dataset.from_list(ROWS)
    result = deduplicate(data, columns=["instruction"], threshold=0.75, embedder=BagOfWordsEncoder())
    assert isinstance(result.selected, datasets.Dataset) and result.selected["id"] == [0, 1, 4]
    frame.loc[11, "input"] = None  # a missing input is left out, as the file readers' --join does
    result = deduplicate(
        frame, columns=["instruction", "input"], threshold=0.99, embedder=BagOfWordsEncoder()
    )
    assert len(result.selected) == 5


def test_given_vectors_skip_the_embedding_and_must_match() -> None:
    vectors = BagOfWordsEncoder().encode([row["instruction"] for row in ROWS])
    result = deduplicate(ROWS, vectors=vectors, threshold=0.75)
    assert [d.index for d in result.duplicates] == [2, 3]
    with pytest.raises(DataError, match="vectors has 4 rows but there are 5 records"):
        deduplicate(ROWS, vectors=vectors[:4])


@pytest.mark.parametrize(
    ("records", "columns", "message"),
    [
        ([], ["instruction"], "no records"),
        ([{"instruction": "  "}], ["instruction"], "record 0: field 'instruction' is an empty instruction"),
        (["ok", ""], None, "record 1 is an empty instruction"),
        ([{"instruction": "a"}, {"text": "b"}], ["instruction"], "record 1: missing field 'instruction'"),
        ([{"instruction": 3}], ["instruction"], "record 0: field 'instruction' is int"),
        ([{"instruction": "a"}], ["instruction", "inptu"], "no record has a field 'inptu'"),
    ],
)
def test_bad_records_get_one_line(records, columns, message) -> None:
    with pytest.raises((DataError, ConfigError), match=message):
        deduplicate(records, columns=columns, embedder=BagOfWordsEncoder())


def test_dedup_file_conserves_rows_and_explains_each_removed_one(tmp_path) -> None:
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    encoder = EncoderAdapter(BagOfWordsEncoder(), name="bag-of-words")
    result = dedup_file(data, tmp_path / "out.jsonl", threshold=0.75, embedder=encoder)
    kept = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    explained = [json.loads(line) for line in result.explanation_path.read_text().splitlines()]
    assert (
        kept == [ROWS[0], ROWS[1], ROWS[4]] and result.explanation_path.name == "out.jsonl.duplicates.jsonl"
    )
    assert [(e["row"], e["line"], e["duplicate_of"], e["reason"]) for e in explained] == [
        (2, 3, 0, "duplicate"),
        (3, 4, 0, "duplicate"),
    ]
    assert (
        explained[1]["text"] == ROWS[3]["instruction"]
        and explained[1]["duplicate_of_text"] == ROWS[0]["instruction"]
    )
    report = json.loads(result.report_path.read_text())
    assert (report["input_rows"], report["kept"], report["duplicates"], report["outliers"]) == (5, 3, 2, 0)
    with pytest.raises(ConfigError, match="overwrite the input"):
        dedup_file(data, data, embedder=encoder)


def test_against_removes_rows_that_repeat_the_reference_first() -> None:
    train = [{"instruction": "Write a poem about the sea."}, {"instruction": "Name three colours."}]
    result = deduplicate(
        ROWS, columns=["instruction"], threshold=0.75, embedder=BagOfWordsEncoder(), against=train
    )
    assert [row["id"] for row in result.selected] == [0, 4]
    by_index = {d.index: d for d in result.duplicates}
    assert (
        by_index[1].in_reference
        and by_index[1].duplicate_of == 0
        and by_index[1].duplicate_of_record == train[0]
    )
    assert not by_index[2].in_reference and by_index[2].duplicate_of == 0
    assert result.rethreshold(0.99).duplicates[0].in_reference  # the reference is kept for a new threshold


def test_dedup_file_against_a_reference_file(tmp_path) -> None:
    data, train = tmp_path / "test.jsonl", tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    train.write_text(json.dumps({"instruction": "Sort the numbers in ascending order."}) + "\n")
    encoder = EncoderAdapter(BagOfWordsEncoder(), name="bag-of-words")
    result = dedup_file(data, tmp_path / "out.jsonl", threshold=0.99, against=train, embedder=encoder)
    explained = [json.loads(line) for line in result.explanation_path.read_text().splitlines()]
    assert [(e["row"], e["reason"]) for e in explained] == [(2, "duplicate"), (4, "reference")]
    assert explained[1]["reference"] == str(train) and explained[1]["duplicate_of_line"] == 1
    assert (result.report.duplicates, result.report.in_reference, result.report.kept) == (1, 1, 3)
    with pytest.raises(ConfigError, match="names the input itself"):
        dedup_file(data, tmp_path / "o.jsonl", against=data, embedder=encoder)
