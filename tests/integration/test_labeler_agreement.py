"""The labeler against IEB's gold task categories (real spaCy pipeline, real test files)."""

import pytest

from pie_embed.labeling import TaskLabeler, label_agreement, read_gold_labels
from tests.conftest import IEB_DIR

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def labeler():
    return TaskLabeler()


def test_eft_test_agreement(labeler):
    texts, gold = read_gold_labels(IEB_DIR / "eft_test.json")
    assert len(texts) == 3291
    result = label_agreement(texts, labeler.label_many(texts), gold)
    # Measured 0.929 exact / 0.955 verb / 0.940 noun (target: >= 0.92 exact).
    assert result.exact >= 0.92
    assert result.verb == pytest.approx(0.955, abs=0.01) and result.noun == pytest.approx(0.940, abs=0.01)
    assert result.unlabeled <= 3


def test_iis_agreement(labeler):
    texts, gold = read_gold_labels(IEB_DIR / "intention_similarity_test.json")
    assert len(texts) == 4141
    result = label_agreement(texts, labeler.label_many(texts), gold)
    assert result.exact == pytest.approx(0.936, abs=0.01)
