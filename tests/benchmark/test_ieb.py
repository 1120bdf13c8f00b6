import json

import pytest

from pie_embed import InstructionEmbedder
from pie_embed.benchmark import evaluate, load_ieb, run_benchmark
from pie_embed.benchmark.report import results_table, write_json
from pie_embed.embedding.cache import EmbeddingCache
from pie_embed.errors import DataError

TASKS = {
    "sort|list": ["Sort the list of numbers.", "Sort these names alphabetically.", "Sort the array."],
    "translate|sentence": ["Translate the sentence into French.", "Translate this sentence to German."],
    "write|poem": ["Write a poem about the sea.", "Write a short poem about autumn."],
}


@pytest.fixture
def mini_ieb(tmp_path):
    ict = {
        label: {
            "number": len(texts),
            "samples": [
                {"category": label.split("|"), "instruction": t, "input": t, "output": ""} for t in texts
            ],
        }
        for label, texts in TASKS.items()
    }
    (tmp_path / "eft_test.json").write_text(json.dumps(ict))
    pairs = [
        {"instruction1": a, "intention1": "x", "instruction2": b, "intention2": "y", "label": int(same)}
        for a, b, same in [
            (TASKS["sort|list"][0], TASKS["sort|list"][1], True),
            (TASKS["sort|list"][0], TASKS["write|poem"][0], False),
            (TASKS["write|poem"][0], TASKS["write|poem"][1], True),
            (TASKS["translate|sentence"][0], TASKS["write|poem"][1], False),
        ]
    ]
    (tmp_path / "intention_similarity_test.json").write_text(json.dumps(pairs))
    labeled = tmp_path / "labeled.jsonl"
    labeled.write_text(
        "\n".join(json.dumps({"instruction": t, "label": lab}) for lab, ts in TASKS.items() for t in ts)
    )
    return tmp_path


def test_evaluate_all_tasks_and_cache(tiny_encoder, mini_ieb, tmp_path):
    data = load_ieb(mini_ieb, [mini_ieb / "labeled.jsonl"])
    assert len(data.ict.texts) == 7 and len(data.pairs) == 4
    embedder = InstructionEmbedder(tiny_encoder, pooling="mean")
    cache = EmbeddingCache(tmp_path / "cache")
    first = evaluate(embedder, data, cache, seeds=2)
    assert first.ict.k == 3 and first.iis.count == 4 and "labeled.jsonl" in first.clusters
    # ICT texts, then both sides of the pairs; the labeled file repeats the ICT texts: a cache hit.
    assert first.embedded == 7 + 4 + 4 and first.texts_per_second > 0
    second = evaluate(embedder, data, cache, seeds=2)
    assert second.embedded == 0 and second.texts_per_second is None
    assert second.ict.scores == first.ict.scores and second.iis.spearman == first.iis.spearman
    # Clustering the same texts with the same labels gives the same score through either route.
    assert second.clusters["labeled.jsonl"].scores.ari == pytest.approx(first.ict.scores.ari)


def test_grid_table_and_json(tiny_encoder_dir, mini_ieb, tmp_path):
    data = load_ieb(mini_ieb)
    results = run_benchmark(
        data, models=[str(tiny_encoder_dir)], prompts=["none", "pie"], poolings=["cls", "mean"]
    )
    assert [(r.settings["prompt"], r.settings["pooling"]) for r in results] == [
        ("none", "cls"),
        ("none", "mean"),
        ("pie", "cls"),
        ("pie", "mean"),
    ]
    table = results_table(results)
    assert table.row_count == 5  # four settings + random baseline
    write_json(results, tmp_path / "out" / "r.json")
    saved = json.loads((tmp_path / "out" / "r.json").read_text())
    assert saved[0]["ict"]["k"] == 3 and "spearman" in saved[0]["iis"] and "random" in saved[0]["ict"]


def test_missing_data(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_ieb(tmp_path / "nope")
    with pytest.raises(DataError, match="eft_test.json"):
        load_ieb(tmp_path)
    with pytest.raises(DataError, match="nothing to benchmark"):
        load_ieb(None)


def test_cluster_file_needs_labels(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"instruction": "Sort it.", "label": "a"}\n{"instruction": "Write it."}\n')
    with pytest.raises(DataError, match="x.jsonl.*2.*label"):
        load_ieb(None, [path])
