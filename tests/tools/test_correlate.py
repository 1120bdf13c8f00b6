import json

import numpy as np
import pytest

from pie_embed.embedding.normalize import unit_rows
from pie_embed.errors import ConfigError
from pie_embed.tools.correlate import correlate_files, correlate_vectors, coverage, mean_wasserstein


def test_matrices_on_constructed_sets():
    rng = np.random.default_rng(0)
    a = unit_rows(rng.normal(size=(200, 8)) + [3, 0, 0, 0, 0, 0, 0, 0])
    a2 = unit_rows(rng.normal(size=(200, 8)) + [3, 0, 0, 0, 0, 0, 0, 0])
    b = unit_rows(rng.normal(size=(200, 8)) + [0, 3, 0, 0, 0, 0, 0, 0])
    result = correlate_vectors([a, a2, b], ["a", "a2", "b"])
    w, c = result.wasserstein, result.coverage
    assert np.allclose(w, w.T) and np.allclose(np.diag(w), 0) and np.allclose(np.diag(c), 1)
    assert w[0, 1] < w[0, 2] / 3  # same distribution is near, the other far
    assert c[0, 1] > c[0, 2] + 0.2
    # coverage is asymmetric: a subset is fully covered by its superset, not the other way round
    assert coverage(a[:20], a) == pytest.approx(1.0, abs=1e-5) and coverage(a, a[:20]) < 1.0


def test_mean_wasserstein_of_a_shift():
    x = np.zeros((10, 3))
    assert mean_wasserstein(x, x + [0.5, 0.0, 1.0]) == pytest.approx(0.5)


def test_needs_two_distinct_datasets():
    with pytest.raises(ConfigError, match="at least two"):
        correlate_vectors([np.ones((2, 2))], ["a"])
    with pytest.raises(ConfigError, match="must differ"):
        correlate_vectors([np.ones((2, 2))] * 2, ["a", "a"])


def test_correlate_files_writes_csv_json_and_heatmaps(tiny_encoder_dir, tmp_path):
    from pie_embed import InstructionEmbedder

    paths = []
    for name, texts in {
        "poems": ["Write a poem.", "Write a poem about love."],
        "math": ["Add 2 and 3.", "Add 5 and 7.", "Add 1 and 1."],
    }.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps({"instruction": t}) + "\n" for t in texts))
        paths.append(path)
    result = correlate_files(paths, tmp_path / "out", embedder=InstructionEmbedder(str(tiny_encoder_dir)))
    assert [p.name for p in result.files] == [
        "wasserstein.csv",
        "coverage.csv",
        "correlation.json",
        "wasserstein.png",
        "coverage.png",
    ]
    assert (tmp_path / "out" / "coverage.csv").read_text().splitlines()[0] == "dataset,poems,math"
    saved = json.loads((tmp_path / "out" / "correlation.json").read_text())
    assert [d["rows"] for d in saved["datasets"]] == [2, 3]
    assert (tmp_path / "out" / "wasserstein.png").read_bytes()[:4] == b"\x89PNG"
