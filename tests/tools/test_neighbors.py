import numpy as np
import pytest

from pie_embed.tools import neighbors
from pie_embed.tools.neighbors import ExactIndex, FaissHNSWIndex, build_index, top_k


def test_top_k_orders_and_pads():
    sims = np.array([[0.1, 0.9, 0.5], [0.3, 0.2, 0.8]], np.float32)
    values, ids = top_k(sims, 2)
    assert ids.tolist() == [[1, 2], [2, 0]]
    assert np.allclose(values, [[0.9, 0.5], [0.8, 0.3]])
    values, ids = top_k(sims, 5)
    assert ids[0].tolist() == [1, 2, 0, -1, -1] and np.isinf(values[0, 3])


def test_exact_index_matches_brute_force_in_small_blocks(blobs, monkeypatch):
    vectors, _ = blobs
    monkeypatch.setattr(neighbors, "BLOCK_FLOATS", 600 * 7)  # 7 queries per block
    sims, ids = ExactIndex(vectors).search(vectors[:40], 5)
    expected = np.argsort(-(vectors[:40] @ vectors.T), axis=1, kind="stable")[:, :5]
    assert (ids == expected).all()
    assert np.allclose(sims[:, 0], 1.0, atol=1e-5)  # each vector finds itself first


def test_hnsw_recall_and_round_trip(blobs, tmp_path):
    vectors, _ = blobs
    index = build_index(vectors, exact_below=100)
    assert isinstance(index, FaissHNSWIndex) and len(index) == 600
    _, exact = ExactIndex(vectors).search(vectors, 10)
    _, approx = index.search(vectors, 10)
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact, strict=True)])
    assert recall > 0.95
    index.save(tmp_path / "h.faiss")
    again = FaissHNSWIndex.load(tmp_path / "h.faiss")
    assert (again.search(vectors[:5], 3)[1] == index.search(vectors[:5], 3)[1]).all()


def test_small_pools_use_exact_search(blobs):
    assert isinstance(build_index(blobs[0]), ExactIndex)


def test_missing_faiss_file_is_a_data_error(tmp_path):
    with pytest.raises(ValueError, match="faiss index file not found"):
        FaissHNSWIndex.load(tmp_path / "none.faiss")
