import numpy as np
import pytest

from pie_embed.benchmark.metrics import cluster_scores, cosine_similarities, purity_score, random_assignment
from pie_embed.benchmark.tasks import evaluate_clustering, evaluate_similarity
from pie_embed.errors import DataError


def blobs(k: int = 5, per: int = 20, spread: float = 0.01, seed: int = 0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, 16)) * 10
    points = np.concatenate([c + rng.normal(scale=spread, size=(per, 16)) for c in centers])
    labels = [f"task{i}" for i in range(k) for _ in range(per)]
    return points.astype(np.float32), labels


def test_known_ari_and_purity():
    # Worked example: ARI([0,0,1,1], [0,0,1,2]) = 4/7; purity = (2 + 1 + 1) / 4.
    scores = cluster_scores([0, 0, 1, 1], np.array([0, 0, 1, 2]))
    assert scores.ari == pytest.approx(4 / 7)
    assert scores.purity == pytest.approx(1.0)
    assert purity_score([0, 0, 1, 1], [0, 0, 0, 0]) == pytest.approx(0.5)
    assert scores.homogeneity == pytest.approx(1.0)


def test_separated_clusters_score_perfectly():
    points, labels = blobs()
    result = evaluate_clustering(points, labels, seeds=3)
    assert result.k == 5 and result.count == 100
    assert result.scores.ari == pytest.approx(1.0)
    assert result.scores.purity == pytest.approx(1.0)
    assert result.scores.silhouette > 0.9
    assert result.ari_mean == pytest.approx(1.0) and len(result.seed_aris) == 3
    assert abs(result.random.ari) < 0.05 and result.random.purity < 0.5


def test_half_mixed_clusters_have_intermediate_ari():
    points, labels = blobs(k=4, per=25)
    labels = labels[:50] + ["mixed"] * 50  # tasks 2 and 3 merged under one label
    result = evaluate_clustering(points, labels)
    # Four blobs, three labels: k-means must split one label or merge two blobs; either way ARI is partial.
    assert 0.3 < result.scores.ari < 0.95
    assert result.scores.purity == pytest.approx(0.75)


def test_random_assignment_is_seeded():
    np.testing.assert_array_equal(random_assignment(50, 5, 0), random_assignment(50, 5, 0))
    assert set(random_assignment(500, 5, 0)) == set(range(5))


def test_similarity_task():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(200, 8))
    labels = np.array([1] * 100 + [0] * 100)
    b = np.where(labels[:, None] == 1, a + 0.05 * rng.normal(size=a.shape), rng.normal(size=a.shape))
    result = evaluate_similarity(a, b, labels)
    assert result.count == 200 and result.positives == 100
    assert result.spearman > 0.8
    assert abs(result.random_spearman) < 0.2
    np.testing.assert_allclose(cosine_similarities(a, a), 1.0, atol=1e-6)


def test_length_mismatch_and_single_label():
    with pytest.raises(DataError):
        evaluate_clustering(np.zeros((3, 2)), ["a", "b"])
    with pytest.raises(DataError, match="2 distinct labels"):
        evaluate_clustering(np.zeros((3, 2)), ["a", "a", "a"])
    with pytest.raises(DataError):
        evaluate_similarity(np.zeros((3, 2)), np.zeros((2, 2)), [0, 1, 1])


def test_spearman_ceiling_matches_the_closed_form_and_is_reached_by_perfect_ranking():
    import math

    from pie_embed.benchmark.metrics import spearman, spearman_ceiling

    labels = [1] * 1504 + [0] * 992  # IEB's IIS: 1,504 positive pairs of 2,496
    p = 1504 / 2496
    assert spearman_ceiling(labels) == pytest.approx(math.sqrt(3 * p * (1 - p)), abs=1e-3)
    assert spearman_ceiling(labels) == pytest.approx(0.848, abs=1e-3)
    rng = np.random.default_rng(0)
    separated = np.array(labels) + rng.random(len(labels)) * 0.9  # every positive above every negative
    assert spearman(separated, labels) == pytest.approx(spearman_ceiling(labels), abs=1e-9)
    assert spearman(np.array(labels, dtype=float), labels) == pytest.approx(1.0)  # only ties go above it
