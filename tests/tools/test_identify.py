import numpy as np
import pytest

from pie_embed.errors import ConfigError
from pie_embed.tools.identify import TaskBank, TaskIdentifier


class FakeEmbedder:
    """Vectors by keyword, so the bank's geometry is known."""

    def encode(self, texts, batch_size=None, show_progress_bar=None, normalize_embeddings=None):
        keys = ["translate", "poem", "add"]
        return np.array([[float(k in t.lower()) for k in keys] + [0.1] for t in texts], np.float32)


def test_bank_centroids_and_nearest_tasks():
    embedder = FakeEmbedder()
    texts = ["Translate A", "Translate B", "Write a poem", "Add numbers"]
    bank = TaskBank.from_texts(
        embedder.encode(texts), ["translate|sentence"] * 2 + ["write|poem", "add|number"], []
    )
    assert len(bank) == 3 and bank.counts == [1, 2, 1]  # tasks sorted by name
    identifier = TaskIdentifier(embedder, bank, use_labeler=False)
    found = identifier.identify(["Please translate this", "Add 2 and 2"], top=2)
    assert found[0].nearest[0].task == "translate|sentence" and found[0].nearest[0].examples == 2
    assert found[1].nearest[0].task == "add|number" and len(found[1].nearest) == 2
    assert found[0].label is None  # no labeler given
    assert identifier.identify([]) == []
    with pytest.raises(ConfigError, match="list of instructions"):
        identifier.identify("one string")


def test_identify_with_the_default_model_and_the_shipped_bank():
    """Quality: the real default model puts instructions next to the shipped tasks they belong to."""
    identifier = TaskIdentifier()
    found = identifier.identify(
        [
            "Translate the following sentence into Spanish.",
            "Write a haiku about the moon.",
            "Solve this math word problem.",
            "Summarize the article.",
        ],
        top=5,
    )
    assert found[0].label == "translate|sentence"
    assert "translation" in found[0].nearest[0].task
    assert "haiku" in found[1].nearest[0].task
    assert all("math" in t.task or "question_answering" in t.task for t in found[2].nearest[:3])
    assert all("summar" in t.task for t in found[3].nearest[:2])
    assert len(identifier.bank) == 909 and identifier.bank.sources[0].endswith("task_bank.jsonl")
