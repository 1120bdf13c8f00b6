import dataclasses
import json

import numpy as np
import pytest

from pie_embed.errors import ConfigError, DataError
from pie_embed.tools.select import farthest_first, select_file, select_instructions


def test_kmeans_keeps_one_row_per_group(blobs):
    vectors, groups = blobs
    result = select_instructions(vectors, 12, "kmeans")
    assert len(result.indices) == 12 and result.indices == sorted(result.indices)
    assert sorted(groups[result.indices].tolist()) == list(range(12))
    assert sum(result.cluster_sizes.values()) == 600 and len(result.cluster_sizes) == 12
    # the kept row is the member nearest its cluster's centroid
    for i in result.indices:
        members = np.flatnonzero(result.cluster_of == result.cluster_of[i])
        centre = vectors[members].mean(axis=0)
        assert i == members[np.argmax(vectors[members] @ centre)]


def test_dbscan_keeps_a_central_row_per_cluster_then_fills(blobs):
    vectors, groups = blobs
    result = select_instructions(vectors, 12, "dbscan", eps=0.15, min_samples=5)
    assert sorted(groups[result.indices].tolist()) == list(range(12))
    assert len(result.cluster_sizes) == 12
    more = select_instructions(vectors, 20, "dbscan", eps=0.15, min_samples=5)
    assert len(more.indices) == 20 and any("farthest-first" in note for note in more.notes)


def test_diverse_keeps_rows_pairwise_below_the_threshold(blobs):
    vectors, groups = blobs
    result = select_instructions(vectors, 12, "diverse", diversity_threshold=0.7)
    chosen = vectors[result.indices]
    sims = chosen @ chosen.T
    assert (sims[~np.eye(12, dtype=bool)] < 0.7).all()
    assert len(set(groups[result.indices])) == 12
    short = select_instructions(vectors, 30, "diverse", diversity_threshold=0.7)
    assert len(short.indices) == 12 and "only 12 rows" in short.notes[0]


def test_dedup_runs_first(blobs):
    vectors, _ = blobs
    doubled = np.concatenate([vectors, vectors[:100]])
    result = select_instructions(doubled, 12, "kmeans", dedup_threshold=0.999)
    assert len(result.duplicate_of) == 100
    assert all(doubled[i] @ doubled[j] > 0.999 for i, j in result.duplicate_of.items())
    assert not set(result.indices) & set(result.duplicate_of)


def test_farthest_first_picks_the_least_covered_row():
    vectors = np.array([[1, 0], [0.9, 0.1], [0, 1], [-1, 0]], np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert farthest_first(vectors, [0], 2, np.arange(4)) == [3, 2]


@pytest.mark.parametrize(("n", "message"), [(0, "out of range"), (601, "has 600 rows")])
def test_n_out_of_range(blobs, n, message):
    with pytest.raises(ConfigError, match=message):
        select_instructions(blobs[0], n)


def test_unknown_method(blobs):
    with pytest.raises(ConfigError, match="unknown selection method"):
        select_instructions(blobs[0], 3, "random")


def test_select_file_writes_subset_in_input_format_and_report(tiny_encoder_dir, tmp_path):
    from pie_embed import InstructionEmbedder

    rows = [
        {"instruction": f"Task number {i} about topic {i % 5}", "extra": i, "nested": {"a": [i]}}
        for i in range(40)
    ]
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    embedder = InstructionEmbedder(str(tiny_encoder_dir))
    result = select_file(data, 5, embedder=embedder, label_tasks=False)
    assert result.output == tmp_path / "d.selected.jsonl"
    written = [json.loads(line) for line in result.output.read_text().splitlines()]
    assert written == [rows[i] for i in result.selection.indices]
    report = json.loads(result.report_path.read_text())
    assert report["selected"] == 5 and report["input_rows"] == 40 and report["clusters"] == 5
    assert [r["row"] for r in report["selected_rows"]] == result.selection.indices
    assert report == dataclasses.asdict(result.report)  # the file is the result, written as it is
    assert result.report.selected_rows[0].line == result.selection.indices[0] + 1


def test_select_file_rejects_mismatched_embeddings(tiny_encoder_dir, tmp_path):
    from pie_embed import InstructionEmbedder
    from pie_embed.embedding.job import embed_to

    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text('{"instruction": "one"}\n{"instruction": "two"}\n')
    b.write_text('{"instruction": "one"}\n{"instruction": "three"}\n')
    embed_to(a, tmp_path / "a.npy", InstructionEmbedder(str(tiny_encoder_dir)))
    with pytest.raises(DataError, match="made from other texts"):
        select_file(b, 1, embeddings=tmp_path / "a.npy", label_tasks=False)
    c = tmp_path / "c.jsonl"
    c.write_text('{"instruction": "one"}\n')
    with pytest.raises(DataError, match="has 2 embeddings but"):
        select_file(c, 1, embeddings=tmp_path / "a.npy", label_tasks=False)
