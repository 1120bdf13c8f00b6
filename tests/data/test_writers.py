"""Embeddings files with their manifests (data.embeddings) and rows written back (data.records)."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pie_embed.data import (
    EmbeddingManifest,
    read_embeddings,
    read_instructions,
    texts_sha256,
    write_embeddings,
    write_records,
)
from pie_embed.data.checksums import array_sha256
from pie_embed.data.embeddings import MANIFEST_KEY
from pie_embed.data.manifest import manifest_path
from pie_embed.errors import DataError

TEXTS = ["Translate the sentence.", "Summarize the article.", "Write a haiku: déjà vu 🍂"]


def make_manifest(**changes: Any) -> EmbeddingManifest:
    values: dict[str, Any] = {
        "model": "minilm",
        "prompt": "none",
        "pooling": "mean",
        "normalize": True,
        "dimension": 0,
        "count": 0,
        "texts_sha256": "",
        "embeddings_sha256": "",
        "source": "data.jsonl",
        "extra": {"batch_size": 8},
    }
    values.update(changes)
    return EmbeddingManifest(**values)


def embeddings(count: int = 3, dimension: int = 5) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((count, dimension)).astype(np.float32)


def data_error(call: Any, *parts: str) -> str:
    with pytest.raises(DataError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message, message
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"
    return message


def test_texts_sha256() -> None:
    expected = hashlib.sha256(b"a" + b"\x00" + "é".encode()).hexdigest()
    assert texts_sha256(["a", "é"]) == expected
    assert texts_sha256(["a", "b"]) != texts_sha256(["ab"])


def test_array_sha256_is_over_float32_c_bytes() -> None:
    array = embeddings()
    assert array_sha256(array) == hashlib.sha256(array.tobytes()).hexdigest()
    assert array_sha256(np.asfortranarray(array.astype(np.float64))) == array_sha256(array)


def test_npy_round_trip(tmp_path: Path) -> None:
    array = embeddings()
    path = tmp_path / "nested" / "dir" / "out.npy"
    written = write_embeddings(path, array, make_manifest(), texts=TEXTS)
    assert written == tmp_path / "nested" / "dir" / "out.npy.manifest.json" == manifest_path(path)
    loaded, manifest = read_embeddings(path)
    assert loaded.dtype == np.float32 and np.array_equal(loaded, array)
    assert manifest == EmbeddingManifest(**json.loads(written.read_text(encoding="utf-8")))
    assert (manifest.count, manifest.dimension) == (3, 5)
    assert manifest.texts_sha256 == texts_sha256(TEXTS)
    assert manifest.embeddings_sha256 == array_sha256(array)
    assert manifest.created.endswith("+00:00") and manifest.pie_embed_version
    assert (manifest.model, manifest.pooling, manifest.normalize, manifest.source) == (
        "minilm",
        "mean",
        True,
        "data.jsonl",
    )
    assert manifest.extra == {"batch_size": 8}
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "out.npy",
        "out.npy.manifest.json",
    ]  # no temp files


def test_npy_stores_float32(tmp_path: Path) -> None:
    write_embeddings(tmp_path / "o.npy", embeddings().astype(np.float64), make_manifest())
    assert np.load(tmp_path / "o.npy").dtype == np.float32


def test_parquet_round_trip_with_texts(tmp_path: Path) -> None:
    array = embeddings()
    path = tmp_path / "out.parquet"
    written = write_embeddings(path, array, make_manifest(), texts=TEXTS)
    assert written == tmp_path / "out.parquet.manifest.json"
    loaded, manifest = read_embeddings(path)
    assert np.array_equal(loaded, array)
    assert manifest == EmbeddingManifest(**json.loads(written.read_text(encoding="utf-8")))
    table = pq.read_table(path)
    assert table.column_names == ["index", "text", "embedding"]
    assert table.schema.field("index").type == pa.int64()
    assert table.schema.field("embedding").type == pa.list_(pa.float32(), 5)
    assert table.column("text").to_pylist() == TEXTS
    assert json.loads(table.schema.metadata[MANIFEST_KEY]) == manifest.to_dict()


def test_parquet_round_trip_without_texts_and_manifest_only_in_metadata(tmp_path: Path) -> None:
    array = embeddings(4, 3)
    path = tmp_path / "out.parquet"
    write_embeddings(path, array, make_manifest())
    assert pq.read_table(path).column_names == ["index", "embedding"]
    manifest_path(path).unlink()  # the schema metadata is enough
    loaded, manifest = read_embeddings(path)
    assert np.array_equal(loaded, array) and manifest.count == 4 and manifest.texts_sha256 == ""


def test_given_manifest_facts_must_match(tmp_path: Path) -> None:
    array = embeddings()
    good = make_manifest(
        count=3, dimension=5, texts_sha256=texts_sha256(TEXTS), created="2024-01-01T00:00:00+00:00"
    )
    write_embeddings(tmp_path / "ok.npy", array, good, texts=TEXTS)
    assert read_embeddings(tmp_path / "ok.npy")[1].created == "2024-01-01T00:00:00+00:00"
    data_error(lambda: write_embeddings(tmp_path / "c.npy", array, make_manifest(count=4)), "c.npy", "count")
    data_error(
        lambda: write_embeddings(tmp_path / "d.npy", array, make_manifest(dimension=7)), "d.npy", "dimension"
    )
    wrong = make_manifest(texts_sha256=texts_sha256(["other"]))
    data_error(
        lambda: write_embeddings(tmp_path / "t.npy", array, wrong, texts=TEXTS), "t.npy", "texts_sha256"
    )
    data_error(
        lambda: write_embeddings(tmp_path / "n.npy", array, make_manifest(), texts=TEXTS[:2]),
        "n.npy",
        "2 texts",
    )


def test_write_embeddings_rejects_bad_input(tmp_path: Path) -> None:
    data_error(
        lambda: write_embeddings(tmp_path / "o.txt", embeddings(), make_manifest()),
        "o.txt",
        ".npy",
        ".parquet",
    )
    data_error(lambda: write_embeddings(tmp_path / "o.npy", np.zeros(4), make_manifest()), "o.npy", "2-D")
    assert not (tmp_path / "o.npy").exists()


def test_tampered_npy_array(tmp_path: Path) -> None:
    array = embeddings()
    path = tmp_path / "out.npy"
    write_embeddings(path, array, make_manifest())
    changed = array.copy()
    changed[1, 2] += 1e-3
    np.save(path, changed)
    data_error(lambda: read_embeddings(path), "out.npy", "embeddings_sha256")
    np.save(path, array[:2])
    data_error(lambda: read_embeddings(path), "out.npy", "3 x 5", "2 x 5")


def test_tampered_parquet(tmp_path: Path) -> None:
    array = embeddings()
    path = tmp_path / "out.parquet"
    write_embeddings(path, array, make_manifest(), texts=TEXTS)
    table = pq.read_table(path)
    values = pa.array((array + 1).reshape(-1), type=pa.float32())
    tampered = table.set_column(2, "embedding", pa.FixedSizeListArray.from_arrays(values, 5))
    pq.write_table(tampered.replace_schema_metadata(table.schema.metadata), path)
    data_error(lambda: read_embeddings(path), "out.parquet", "embeddings_sha256")
    tampered = table.set_column(1, "text", pa.array(["x", "y", "z"]))
    pq.write_table(tampered.replace_schema_metadata(table.schema.metadata), path)
    data_error(lambda: read_embeddings(path), "out.parquet", "texts_sha256")


def test_tampered_manifest(tmp_path: Path) -> None:
    path = tmp_path / "out.npy"
    sidecar = write_embeddings(path, embeddings(), make_manifest())
    data = json.loads(sidecar.read_text(encoding="utf-8"))
    sidecar.write_text(json.dumps({**data, "dimension": 6}), encoding="utf-8")
    data_error(lambda: read_embeddings(path), "out.npy", "3 x 6")
    sidecar.write_text(json.dumps({k: v for k, v in data.items() if k != "model"}), encoding="utf-8")
    data_error(lambda: read_embeddings(path), "out.npy.manifest.json", "'model'")
    sidecar.write_text("{not json", encoding="utf-8")
    data_error(lambda: read_embeddings(path), "out.npy.manifest.json", "line 1")


def test_missing_manifest_or_file(tmp_path: Path) -> None:
    path = tmp_path / "out.npy"
    write_embeddings(path, embeddings(), make_manifest()).unlink()
    data_error(lambda: read_embeddings(path), "out.npy", "manifest not found")
    data_error(lambda: read_embeddings(tmp_path / "absent.npy"), "absent.npy", "not found")
    data_error(lambda: read_embeddings(tmp_path / "x.csv"), "x.csv", ".npy")


def test_overwrite_is_atomic_replace(tmp_path: Path) -> None:
    path = tmp_path / "out.npy"
    write_embeddings(path, embeddings(3, 5), make_manifest())
    write_embeddings(path, embeddings(2, 4), make_manifest())
    loaded, manifest = read_embeddings(path)
    assert loaded.shape == (2, 4) and manifest.count == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.npy", "out.npy.manifest.json"]


# ------------------------------------------------------------------------------------- write_records

ROWS: list[dict[str, Any]] = [
    {
        "instruction": "Outline the steps.",
        "input": "",
        "output": "1. a",
        "category": ["outline", "step"],
        "label": "outline|step",
    },
    {
        "instruction": 'Write a poem, "quoted",\nover lines.',
        "input": "x",
        "output": "ok",
        "category": ["write", "poem"],
        "label": "write|poem",
    },
    {
        "instruction": "Add 2 and 2.",
        "input": None,
        "output": "4",
        "category": ["add", "number"],
        "label": "add|number",
        "n": 3,
    },
]


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".parquet"])
def test_write_records_round_trip_keeps_all_fields(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / "sub" / f"subset{suffix}"
    write_records(path, ROWS)
    dataset = read_instructions(path)
    assert dataset.texts == [r["instruction"] for r in ROWS]
    assert dataset.labels == [r["label"] for r in ROWS]
    got = [r.row for r in dataset.records]
    if suffix == ".parquet":  # one column per field: a row without a field gets null there
        assert got == [{**r, "n": r.get("n")} for r in ROWS]
    else:
        assert got == ROWS
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_write_records_csv_round_trip(tmp_path: Path) -> None:
    rows = [
        {"instruction": "Outline the steps.", "input": "", "label": "outline|step"},
        {"instruction": 'A "quoted",\nmulti-line one', "input": "x, y", "label": "write|poem", "extra": "e"},
    ]
    path = tmp_path / "subset.csv"
    write_records(path, rows)
    dataset = read_instructions(path)
    assert [r.row for r in dataset.records] == [{**rows[0], "extra": ""}, rows[1]]
    assert dataset.labels == ["outline|step", "write|poem"]


def test_write_records_csv_encodes_non_strings_as_json(tmp_path: Path) -> None:
    path = tmp_path / "subset.csv"
    write_records(path, ROWS)
    with path.open(encoding="utf-8", newline="") as stream:
        written = list(csv.DictReader(stream))
    assert list(written[0]) == ["instruction", "input", "output", "category", "label", "n"]
    assert json.loads(written[0]["category"]) == ["outline", "step"]
    assert written[2]["n"] == "3" and written[2]["input"] == "" and written[0]["n"] == ""
    assert written[1]["instruction"] == ROWS[1]["instruction"]


def test_write_records_from_ieb_subset(tmp_path: Path) -> None:
    source = tmp_path / "eft.json"
    source.write_text(
        json.dumps(
            {
                "outline|step": {
                    "number": 1,
                    "samples": [{"category": ["outline", "step"], "instruction": "Outline."}],
                }
            }
        ),
        encoding="utf-8",
    )
    subset = tmp_path / "subset.jsonl"
    write_records(subset, [r.row for r in read_instructions(source).records])
    again = read_instructions(subset)
    assert again.labels == ["outline|step"] and again.records[0].row["category"] == ["outline", "step"]


def test_write_records_empty_and_errors(tmp_path: Path) -> None:
    write_records(tmp_path / "empty.jsonl", [])
    assert (tmp_path / "empty.jsonl").read_text(encoding="utf-8") == ""
    write_records(tmp_path / "empty.json", [])
    assert json.loads((tmp_path / "empty.json").read_text(encoding="utf-8")) == []
    data_error(lambda: write_records(tmp_path / "rows.txt", ROWS), "rows.txt", ".jsonl", ".csv")
    data_error(
        lambda: write_records(tmp_path / "rows.jsonl", [ROWS[0], ["not", "a", "dict"]]), "rows.jsonl", "row 2"
    )
    data_error(lambda: write_records(tmp_path / "rows.json", [{"x": object()}]), "rows.json")
    assert not (tmp_path / "rows.json").exists()


def test_written_files_get_ordinary_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    write_embeddings(tmp_path / "o.npy", embeddings(), make_manifest())
    write_records(tmp_path / "r.jsonl", ROWS)
    for name in ("o.npy", "o.npy.manifest.json", "r.jsonl"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_shard_folder_started_by_another_model_names_both(tmp_path):
    from pie_embed.data.shards import ShardFolder
    from pie_embed.errors import DataError

    ShardFolder.start(tmp_path / "s", {"model": "all-minilm-l6-v2", "embedder": "a1"}, resume=False)
    with pytest.raises(DataError) as caught:
        ShardFolder.start(tmp_path / "s", {"model": "pie-general", "embedder": "b2"}, resume=True)
    assert "(embedder: a1 -> b2, model: all-minilm-l6-v2 -> pie-general)" in str(caught.value)
