import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pie_embed.data.readers import read_instructions, read_rows_at
from pie_embed.data.subsets import default_subset_path, write_subset
from pie_embed.errors import DataError


def test_ieb_label_dict_stays_a_label_dict(tmp_path):
    source = {
        "write|poem": {
            "number": 2,
            "samples": [{"instruction": "Write a poem."}, {"instruction": "Compose verse."}],
        },
        "add|number": {"number": 1, "samples": [{"instruction": "Add 2 and 3.", "input": ""}]},
    }
    path = tmp_path / "ieb.json"
    path.write_text(json.dumps(source))
    dataset = read_instructions(path)
    out = write_subset(dataset, [1, 2], default_subset_path(dataset, "selected"))
    assert out.name == "ieb.selected.json"
    assert json.loads(out.read_text()) == {
        "write|poem": {"samples": [{"instruction": "Compose verse."}]},
        "add|number": {"samples": [{"instruction": "Add 2 and 3.", "input": ""}]},
    }


def test_strings_csv_and_parquet_keep_their_shape(tmp_path):
    strings = tmp_path / "s.json"
    strings.write_text(json.dumps(["a", "b", "c"]))
    out = write_subset(read_instructions(strings), [2, 0], tmp_path / "s.out.json")
    assert json.loads(out.read_text()) == ["c", "a"]

    table = pa.table({"instruction": ["x", "y", "z"], "score": pa.array([1, 2, 3], pa.int16())})
    pq.write_table(table, tmp_path / "p.parquet")
    out = write_subset(read_instructions(tmp_path / "p.parquet"), [1], tmp_path / "p.out.parquet")
    back = pq.read_table(out)
    assert back.schema == table.schema and back.to_pylist() == [{"instruction": "y", "score": 2}]

    csv = tmp_path / "c.csv"
    csv.write_text("instruction,extra\nx,1\ny,2\n")
    out = write_subset(read_instructions(csv), [1], tmp_path / "c.out.csv")
    assert out.read_text().splitlines() == ["instruction,extra", "y,2"]


def test_saved_hf_dataset_keeps_its_features(tmp_path):
    from datasets import ClassLabel, Dataset, Features, Value, load_from_disk

    features = Features({"instruction": Value("string"), "label": ClassLabel(names=["a", "b"])})
    Dataset.from_dict({"instruction": ["p", "q", "r"], "label": [0, 1, 0]}, features=features).save_to_disk(
        tmp_path / "hf"
    )
    dataset = read_instructions(tmp_path / "hf")
    out = write_subset(dataset, [0, 2], default_subset_path(dataset, "selected"))
    back = load_from_disk(str(out))
    assert out.name == "hf.selected" and back.features == features and back["instruction"] == ["p", "r"]


def test_out_of_range_rows(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"instruction": "a"}\n')
    with pytest.raises(DataError, match="row index 3 out of range"):
        write_subset(read_instructions(path), [3], tmp_path / "o.jsonl")


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_rows_read_back_by_number_write_the_same_subset(tmp_path, suffix):
    rows = [{"instruction": f"task {i}", "id": i} for i in range(25)]
    path = tmp_path / f"d{suffix}"
    if suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    elif suffix == ".csv":
        path.write_text("instruction,id\n" + "".join(f"{r['instruction']},{r['id']}\n" for r in rows))
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    chosen = [20, 3, 7]
    partial = read_rows_at(path, chosen)
    assert partial.row_numbers == [3, 7, 20]
    assert [r.text for r in partial.records] == ["task 3", "task 7", "task 20"]
    whole = write_subset(read_instructions(path), chosen, tmp_path / f"whole{suffix}")
    part = write_subset(partial, chosen, tmp_path / f"part{suffix}")
    assert part.read_bytes() == whole.read_bytes()


def test_rows_beyond_the_file_or_not_read_are_errors(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"instruction": "a"}\n{"instruction": "b"}\n')
    with pytest.raises(DataError, match="row index 5 out of range"):
        read_rows_at(path, [1, 5])
    with pytest.raises(DataError, match="row index 0 is not among the rows read"):
        write_subset(read_rows_at(path, [1]), [0], tmp_path / "o.jsonl")


def test_streamed_subset_writes_all_rows_or_nothing(tmp_path) -> None:
    import json

    import pytest

    from pie_embed.data.source import InstructionSource
    from pie_embed.data.subsets import write_source_subset
    from pie_embed.errors import DataError

    data = tmp_path / "rows.jsonl"
    data.write_bytes(
        b"\xef\xbb\xbf"
        + b"".join(json.dumps({"instruction": f"r{i}"}).encode() + b"\r\n\r\n" for i in range(5))
    )
    source = InstructionSource(data)
    out = write_source_subset(source, [1, 4], tmp_path / "out.jsonl")
    assert [json.loads(line)["instruction"] for line in out.read_text().splitlines()] == ["r1", "r4"]
    for rows, message in [
        ([3, 9], "row index 9 out of range"),
        ([2, 2], "distinct"),
        ([-1], "distinct"),
        ([3, 1], "ascending"),
    ]:
        with pytest.raises(DataError, match=message):
            write_source_subset(source, rows, tmp_path / "short.jsonl")
        assert not (tmp_path / "short.jsonl").exists()  # no short file left behind


def test_an_empty_parquet_subset(tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pie_embed.data.source import InstructionSource
    from pie_embed.data.subsets import write_source_subset

    data = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"instruction": pa.array(["a", "b"], pa.large_string())}), data)
    out = write_source_subset(InstructionSource(data), [], tmp_path / "none.parquet")
    assert pq.read_table(out).num_rows == 0 and pq.read_table(out).column_names == ["instruction"]
