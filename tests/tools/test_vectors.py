import json

import numpy as np
import pytest

from pie_embed.data.writers import EmbeddingManifest, write_embeddings
from pie_embed.errors import DataError
from pie_embed.tools.vectors import embed_dataset, embed_rows, unit_rows
from tests.tools.test_text_encoder import KeywordEncoder


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "d.jsonl"
    verbs = ["translate", "poem", "add", "sort"]
    path.write_text(
        "".join(json.dumps({"instruction": f"{verbs[i % 4]} thing {i}", "n": i}) + "\n" for i in range(23))
    )
    return path


def test_streamed_rows_match_the_whole_dataset(data_file):
    whole = embed_dataset(data_file, embedder=KeywordEncoder())
    streamed = embed_rows(data_file, embedder=KeywordEncoder(), chunk_rows=5, keep_texts=True)
    assert np.allclose(streamed.vectors, whole.vectors)
    assert streamed.lines.tolist() == [r.line for r in whole.dataset.records]
    assert streamed.texts == whole.dataset.texts
    assert streamed.settings == whole.settings
    assert embed_rows(data_file, embedder=KeywordEncoder()).texts is None
    assert [r.row["n"] for r in streamed.rows_at([22, 0]).records] == [0, 22]


def _manifest() -> EmbeddingManifest:
    return EmbeddingManifest("keywords", "none", "none", False, 0, 0, "", "")


def test_streamed_rows_check_given_embeddings(data_file, tmp_path):
    texts = embed_dataset(data_file, embedder=KeywordEncoder()).dataset.texts
    vectors = KeywordEncoder().encode(texts) * 3.0
    write_embeddings(tmp_path / "v.npy", vectors, _manifest(), texts=texts)
    streamed = embed_rows(data_file, embeddings=tmp_path / "v.npy", chunk_rows=4)
    assert np.allclose(streamed.vectors, unit_rows(vectors))
    write_embeddings(tmp_path / "w.npy", vectors, _manifest(), texts=[t + "!" for t in texts])
    with pytest.raises(DataError, match="other texts"):
        embed_rows(data_file, embeddings=tmp_path / "w.npy")


def test_unit_rows_in_place_scales_the_array_itself():
    array = np.array([[3.0, 4.0], [0.0, 0.0]], np.float32)
    assert unit_rows(array, in_place=True) is array
    assert np.allclose(array, [[0.6, 0.8], [0.0, 0.0]])
    frozen = np.array([[3.0, 4.0]], np.float32)
    frozen.flags.writeable = False
    assert unit_rows(frozen, in_place=True) is not frozen


def test_unit_rows_never_writes_through_a_memory_map_unless_asked(tmp_path):
    np.save(tmp_path / "v.npy", np.array([[3.0, 4.0]], np.float32))
    mapped = np.load(tmp_path / "v.npy", mmap_mode="r")
    assert np.allclose(unit_rows(mapped), [[0.6, 0.8]])
    private = np.load(tmp_path / "v.npy", mmap_mode="c")
    unit_rows(private)
    assert private.tolist() == [[3.0, 4.0]]
