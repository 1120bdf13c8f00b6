import json

import numpy as np
import pytest

from pie_embed.data.embeddings import write_embeddings
from pie_embed.data.manifest import EmbeddingManifest
from pie_embed.embedding.normalize import unit_rows
from pie_embed.errors import DataError
from pie_embed.tools.vectors import embed_dataset, embed_rows
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


def test_vectors_of_another_model_than_the_one_asked_for_are_refused_naming_both(tiny_encoder_dir, tmp_path):
    """Compared by the weights' fingerprint: vectors of the old default do not pass for the new one."""
    from pie_embed.embedding.models import model_fingerprint
    from pie_embed.tools.vectors import check_embeddings_model

    manifest = _manifest()
    manifest.model = "all-minilm-l6-v2"
    manifest.extra = {"model_fingerprint": model_fingerprint("all-minilm-l6-v2")}
    write_embeddings(tmp_path / "v.npy", np.ones((2, 4), np.float32), manifest, texts=["a", "b"])
    check_embeddings_model(tmp_path / "v.npy", "all-minilm-l6-v2")
    check_embeddings_model(tmp_path / "v.npy", "minilm")  # another name for the same weights
    with pytest.raises(DataError) as caught:
        check_embeddings_model(tmp_path / "v.npy", "default")
    message = str(caught.value)
    assert "\n" not in message and "v.npy: vectors made by all-minilm-l6-v2 (all-minilm-l6-v2@" in message
    assert (
        "but the model asked for is default (all-minilm-l6-v2@" in message
        and "pie embed -m default" in message
    )
    with pytest.raises(DataError, match="made by all-minilm-l6-v2 .* asked for is .*tiny"):
        check_embeddings_model(tmp_path / "v.npy", str(tiny_encoder_dir))


def test_select_with_embeddings_of_another_model_fails_in_one_line(data_file, tmp_path):
    from typer.testing import CliRunner

    from pie_embed.cli.main import app

    texts = embed_dataset(data_file, embedder=KeywordEncoder()).dataset.texts
    manifest = _manifest()
    manifest.extra = {"model_fingerprint": "keywords@1"}
    write_embeddings(tmp_path / "v.npy", KeywordEncoder().encode(texts), manifest, texts=texts)
    args = ["select", str(data_file), "-n", "3", "--embeddings", str(tmp_path / "v.npy"), "--no-labels"]
    result = CliRunner().invoke(app, [*args, "-m", "all-minilm-l6-v2", "-o", str(tmp_path / "s.jsonl")])
    assert result.exit_code == 2 and "vectors made by keywords (keywords@1)" in result.output
    assert "model asked for is all-minilm-l6-v2" in result.output
    result = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "s.jsonl")])  # no -m: the file's vectors
    assert result.exit_code == 0, result.output
