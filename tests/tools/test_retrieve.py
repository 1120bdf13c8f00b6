import json

import numpy as np
import pytest

from pie_embed import InstructionEmbedder
from pie_embed.data.source import InstructionSource
from pie_embed.errors import ConfigError, DataError
from pie_embed.tools.retrieve import (
    Demonstration,
    DemonstrationIndex,
    few_shot_prompt,
    leave_one_out_precision,
    random_precision,
    retrieve_file,
)

POOL = [
    {"instruction": "Translate the sentence into French.", "input": "Good night", "output": "Bonne nuit"},
    {"instruction": "Translate this phrase to German.", "input": "Thank you", "output": "Danke"},
    {"instruction": "Write a poem about the sea.", "output": "Waves..."},
    {"instruction": "Write a short poem about rain.", "output": "Drops..."},
    {"instruction": "Add the two numbers.", "input": "2 and 3", "output": "5"},
    {"instruction": "Sum these numbers.", "input": "4, 5", "output": "9"},
]


@pytest.fixture
def pool_file(tmp_path):
    path = tmp_path / "pool.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in POOL))
    return path


def test_build_save_load_retrieve_round_trip(tiny_encoder_dir, pool_file, tmp_path):
    embedder = InstructionEmbedder(str(tiny_encoder_dir))
    index = DemonstrationIndex.build(pool_file, embedder=embedder)
    folder = index.save(tmp_path / "pool.index")
    loaded = DemonstrationIndex.load(folder)
    assert len(loaded) == 6 and loaded.index.kind == "exact"
    assert loaded.records[2]["row"] == POOL[2]
    queries = [POOL[0]["instruction"], POOL[4]["instruction"]]
    found = loaded.retrieve(queries, k=3)
    assert [len(d) for d in found] == [3, 3]
    assert found[0][0].pool_row == 0 and found[0][0].similarity == pytest.approx(1.0, abs=1e-4)
    assert found[1][0].pool_row == 4
    assert all(a.similarity >= b.similarity for a, b in zip(found[0], found[0][1:], strict=False))
    # the loaded index rebuilds the same embedder from its settings
    assert np.allclose(loaded.embedder().encode(queries), embedder.encode(queries), atol=1e-5)


def test_a_loaded_index_takes_an_embedder_with_its_settings(tiny_encoder_dir, pool_file, tmp_path):
    from pie_embed.errors import ConfigError

    folder = DemonstrationIndex.build(pool_file, embedder=InstructionEmbedder(str(tiny_encoder_dir))).save(
        tmp_path / "pool.index"
    )
    loaded = DemonstrationIndex.load(folder)
    same = InstructionEmbedder(str(tiny_encoder_dir))
    assert loaded.made_by(same)
    loaded.use_embedder(same)
    assert loaded.embedder() is same
    queries = [POOL[2]["instruction"]]
    assert loaded.demonstrations(same.encode(queries), 2)[0][0].pool_row == 2
    other = InstructionEmbedder(str(tiny_encoder_dir), prompt="pie")
    assert not loaded.made_by(other)
    with pytest.raises(ConfigError, match="does not match"):
        loaded.use_embedder(other)


def test_hnsw_index_saves_and_loads(tiny_encoder_dir, pool_file, tmp_path):
    index = DemonstrationIndex.build(
        pool_file, embedder=InstructionEmbedder(str(tiny_encoder_dir)), exact_below=2
    )
    assert index.index.kind == "faiss-hnsw"
    loaded = DemonstrationIndex.load(index.save(tmp_path / "h.index"))
    assert loaded.index.kind == "faiss-hnsw"
    assert loaded.retrieve([POOL[3]["instruction"]], k=1)[0][0].pool_row == 3


def test_search_can_leave_each_query_out(tiny_encoder_dir, pool_file):
    index = DemonstrationIndex.build(pool_file, embedder=InstructionEmbedder(str(tiny_encoder_dir)))
    _, ids = index.search(index.vectors, 2, exclude=np.arange(6))
    assert ids.shape == (6, 2) and all(i not in row for i, row in enumerate(ids))


def test_changed_index_folder_is_detected(tiny_encoder_dir, pool_file, tmp_path):
    index = DemonstrationIndex.build(pool_file, embedder=InstructionEmbedder(str(tiny_encoder_dir)))
    folder = index.save(tmp_path / "x.index")
    lines = (folder / "records.jsonl").read_text().splitlines()
    (folder / "records.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(DataError, match="does not match vectors.npy"):
        DemonstrationIndex.load(folder)
    with pytest.raises(DataError, match="not a pie-embed index"):
        DemonstrationIndex.load(tmp_path)


def test_few_shot_prompt_uses_the_alpaca_template():
    demo = Demonstration(1, 0, 0.9, "t", None, POOL[0])
    prompt = few_shot_prompt({"instruction": "Translate to Italian.", "input": "Hello"}, [demo])
    assert prompt.startswith("Below is an instruction that describes a task.")
    assert (
        "### Instruction:\nTranslate the sentence into French.\n\n"
        "### Input:\nGood night\n\n### Response:\nBonne nuit" in prompt
    )
    assert prompt.endswith("### Instruction:\nTranslate to Italian.\n\n### Input:\nHello\n\n### Response:\n")
    no_input = few_shot_prompt({"instruction": "Write."}, [])
    assert "### Input" not in no_input


def test_precision_measures():
    vectors = np.array([[1, 0], [0.99, 0.1], [0, 1], [0.1, 0.99]], np.float32)
    labels = ["a", "a", "b", "b"]
    assert leave_one_out_precision(vectors, labels, 1) == 1.0
    assert leave_one_out_precision(vectors, labels, 2) == 0.5
    assert abs(random_precision(labels * 50, 4) - 99 / 199) < 0.05


def test_queries_are_joined_as_the_pool_was(tiny_encoder_dir, pool_file, tmp_path):
    pool = InstructionSource(pool_file, join="newline")
    index = DemonstrationIndex.build(pool, embedder=InstructionEmbedder(str(tiny_encoder_dir)))
    run = retrieve_file(index, InstructionSource(pool_file), k=1)  # the default join takes the pool's
    assert run.records[0]["query"] == "Translate the sentence into French.\nGood night"
    with pytest.raises(ConfigError, match="joined with their input as the pool was \\('newline'\\)"):
        retrieve_file(index, InstructionSource(pool_file, join="space"), k=1)
