import json

from pie_embed.training.anchors import ANCHOR_CORPORA, corpus_anchor_texts
from tests.conftest import SHARED

CORPORA = SHARED / "corpora"


def test_anchor_texts_come_from_training_splits_only():
    texts = corpus_anchor_texts(CORPORA, limit=None)
    gsm8k_test = {
        json.loads(line)["instruction"]
        for line in (CORPORA / "gsm8k.jsonl").open()
        if json.loads(line).get("split") == "test"
    }
    assert texts and not gsm8k_test & set(texts)
    assert len(texts) == len(set(texts))
    assert not any(
        name.startswith(("mbpp", "humaneval", "math_competition", "mmlu")) for name in ANCHOR_CORPORA
    )
    # inputs are joined to their instruction
    assert any("\n" in text and "dataList" in text for text in texts)


def test_sample_is_seeded_and_limited():
    first, again = (
        corpus_anchor_texts(CORPORA, limit=50, seed=1),
        corpus_anchor_texts(CORPORA, limit=50, seed=1),
    )
    assert first == again and len(first) == 50 and first != corpus_anchor_texts(CORPORA, limit=50, seed=2)
