import numpy as np

from pie_embed.training.examples import task_triplets
from pie_embed.training.similar_tasks import label_phrases, similar_task_matrix


class _PhraseModel:
    """Encodes a phrase by its verb's group: create/generate/make are one direction, the rest their own."""

    groups = {"create": 0, "generate": 0, "make": 0, "sort": 1, "count": 2, "translate": 3}

    def encode(self, phrases, normalize_embeddings=True, convert_to_numpy=True):
        out = np.zeros((len(phrases), 4))
        for i, phrase in enumerate(phrases):
            out[i, self.groups[phrase.split()[0]]] = 1.0
        return out


def test_label_phrases_split_merged_labels():
    assert label_phrases("create|poem##make|poem") == ["create poem", "make poem"]


def test_matrix_is_symmetric_with_diagonal_and_uses_every_merged_member():
    names = ["count|word", "generate|poem", "sort|list", "sort|word##make|word"]
    similar = similar_task_matrix(names, _PhraseModel(), threshold=0.9)
    assert similar.dtype == bool and (similar == similar.T).all() and similar.diagonal().all()
    assert similar[1, 3]  # generate ~ make (a member of the merged label)
    assert similar[2, 3]  # sort ~ sort
    assert not similar[0, 1] and not similar[0, 2]


def test_triplets_never_take_a_similar_task_as_negative():
    texts, labels = [], []
    for label in ["create|poem", "generate|poem", "sort|list", "count|list"]:
        for i in range(4):
            texts.append(f"{label} number {i}")
            labels.append(label)
    names = sorted(set(labels))
    similar = similar_task_matrix(names, _PhraseModel(), threshold=0.9)
    examples = task_triplets(texts, labels, similar=similar, seed=0)
    for anchor_id, negative_id in examples.labels:
        assert not similar[anchor_id, negative_id]
    # without the matrix, create|poem and generate|poem share the noun and are each other's hard negative
    plain = task_triplets(texts, labels, seed=0)
    pairs = {(names[a], names[n]) for a, n in plain.labels}
    assert ("create|poem", "generate|poem") in pairs or ("generate|poem", "create|poem") in pairs


def test_same_source_matrix_groups_a_sources_labels_only():
    from pie_embed.training.similar_tasks import same_source_matrix

    names = ["ieb:sort|list", "ieb:write|poem", "other:ieb", "task12_qa"]
    matrix = same_source_matrix(names, ["ieb"])
    assert matrix.tolist() == [
        [True, True, False, False],
        [True, True, False, False],
        [False, False, True, False],  # a label that merely contains the source's name is not in it
        [False, False, False, True],
    ]
    assert same_source_matrix(names, []).tolist() == np.eye(4, dtype=bool).tolist()
