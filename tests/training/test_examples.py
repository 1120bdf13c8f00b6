import pytest

from pie_embed.errors import DataError
from pie_embed.training.examples import label_parts, split_validation, task_triplets, unsupervised_pairs

TEXTS = [
    "Sort the list.",
    "Order the list.",
    "Sort the words.",
    "Order these words.",
    "Write a poem.",
    "Compose a poem.",
]
LABELS = [
    "sort|list",
    "sort|list",
    "sort|word",
    "sort|word",
    "write|poem##compose|poem",
    "write|poem##compose|poem",
]


def test_label_parts_reads_merged_labels():
    assert label_parts("write|poem##compose|poem") == ({"write", "compose"}, {"poem"})
    assert label_parts("yes-no|task") == ({"yes-no"}, {"task"})


def test_triplets_positive_same_task_hard_negative_shares_verb_or_noun():
    examples = task_triplets(TEXTS, LABELS, seed=3)
    assert len(examples) == 6 and examples.negative is not None
    task_of = dict(zip(TEXTS, LABELS, strict=True))
    for anchor, positive, negative, (a_id, n_id) in zip(
        examples.anchor, examples.positive, examples.negative, examples.labels, strict=True
    ):
        assert positive != anchor and task_of[positive] == task_of[anchor]
        assert task_of[negative] != task_of[anchor]
        assert examples.task_names[a_id] == task_of[anchor] and examples.task_names[n_id] == task_of[negative]
        if task_of[anchor].startswith("sort"):  # sort|list <-> sort|word share the verb
            assert task_of[negative].startswith("sort")
    assert examples.hard_negative_share == pytest.approx(4 / 6)
    assert task_triplets(TEXTS, LABELS, seed=3).anchor == examples.anchor  # seeded


def test_without_hard_negatives_negatives_are_random_other_tasks():
    examples = task_triplets(TEXTS, LABELS, hard_negatives=False, seed=0)
    assert examples.hard_negative_share == 0.0


def test_validation_holds_back_whole_tasks_and_errors():
    train, valid = split_validation(TEXTS, LABELS, share=0.34, seed=0)
    assert sorted(train + valid) == list(range(6))
    assert not {LABELS[i] for i in train} & {LABELS[i] for i in valid}
    with pytest.raises(DataError, match="two tasks"):
        task_triplets(["a", "b"], ["x|y", "x|y"])
    pairs = unsupervised_pairs(["a", "b", "a"])
    assert sorted(pairs.anchor) == ["a", "b"] and pairs.anchor == pairs.positive
    assert pairs.labels is None and set(pairs.columns()) == {"anchor", "positive"}


def test_pairs_without_a_negative_column_keep_the_same_anchors():
    """negative_column=False: (anchor, positive) pairs, the in-batch texts are the only negatives."""
    triplets = task_triplets(TEXTS, LABELS, hard_negatives=False, seed=2)
    pairs = task_triplets(TEXTS, LABELS, hard_negatives=False, with_negative=False, seed=2)
    assert pairs.negative is None and pairs.anchor == triplets.anchor and pairs.positive == triplets.positive
