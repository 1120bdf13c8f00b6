from concurrent.futures import ThreadPoolExecutor

import numpy as np

from pie_embed import InstructionEmbedder
from pie_embed.embedding.cache import EmbeddingCache

TEXTS = ["Sort the list.", "Write a poem.", "Translate the sentence."]


def test_second_call_is_a_hit_with_identical_vectors(tiny_encoder, tmp_path):
    cache = EmbeddingCache(tmp_path)
    embedder = InstructionEmbedder(tiny_encoder)
    first, hit1 = cache.encode(embedder, TEXTS)
    second, hit2 = cache.encode(embedder, TEXTS)
    assert (hit1, hit2) == (False, True)
    np.testing.assert_array_equal(first, second)
    other, hit3 = cache.encode(InstructionEmbedder(tiny_encoder, prompt="pie"), TEXTS)
    assert not hit3 and not np.allclose(other, first)


def test_concurrent_writers_leave_one_complete_entry(tiny_encoder, tmp_path):
    cache = EmbeddingCache(tmp_path)
    embedders = [InstructionEmbedder(tiny_encoder) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda e: cache.encode(e, TEXTS)[0], embedders))
    for vectors in results[1:]:
        np.testing.assert_array_equal(vectors, results[0])
    files = list(tmp_path.rglob("*"))
    assert [f.suffix for f in files if f.is_file()] == [".npy"]  # no temp files left behind
