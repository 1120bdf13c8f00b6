from __future__ import annotations

from collections import Counter

from pie_embed.labeling.synonyms import WordNetSynonyms, merge_synonym_labels


class FakeSenses:
    """Senses by hand: 'make' and 'create' share one; 'mistake' and 'error' share one."""

    SENSES = {
        ("make", "v"): {"make.v.03"},
        ("create", "v"): {"make.v.03", "create.v.01"},
        ("generate", "v"): {"generate.v.01", "create.v.01"},
        ("mistake", "n"): {"mistake.n.01"},
        ("error", "n"): {"mistake.n.01", "error.n.02"},
    }

    def senses(self, word: str, pos: str) -> frozenset[str]:
        return frozenset(self.SENSES.get((word, pos), set()))


def test_same_noun_synonym_verbs_merge_most_frequent_first():
    counts = Counter({"make|poem": 3, "create|poem": 5, "write|poem": 7})
    merged = merge_synonym_labels(counts, FakeSenses())
    assert merged["make|poem"] == merged["create|poem"] == "create|poem##make|poem"
    assert merged["write|poem"] == "write|poem"


def test_same_verb_synonym_nouns_merge():
    merged = merge_synonym_labels(["correct|mistake", "correct|error", "correct|error"], FakeSenses())
    assert merged["correct|mistake"] == "correct|error##correct|mistake"


def test_members_join_the_head_not_any_member():
    # generate~create share a sense, create~make share another, generate~make share none: with create as
    # head all three merge; with make as head generate stays apart (no chaining through a member).
    by_create = merge_synonym_labels(
        Counter({"create|poem": 5, "make|poem": 3, "generate|poem": 1}), FakeSenses()
    )
    assert by_create["generate|poem"] == "create|poem##make|poem##generate|poem"
    by_make = merge_synonym_labels(
        Counter({"make|poem": 5, "create|poem": 3, "generate|poem": 1}), FakeSenses()
    )
    assert by_make["generate|poem"] == "generate|poem"


def test_different_nouns_and_verbs_stay_apart():
    merged = merge_synonym_labels(["make|poem", "create|story"], FakeSenses())
    assert merged == {"make|poem": "make|poem", "create|story": "create|story"}


def test_wordnet_offline_merges_ieb_synonyms():
    wordnet = WordNetSynonyms()
    merged = merge_synonym_labels(
        Counter(
            {
                "calculate|value": 33,
                "compute|value": 14,
                "find|number": 30,
                "determine|number": 18,
                "write|poem": 10,
                "describe|person": 9,
                "identify|person": 8,
            }
        ),
        wordnet,
    )
    assert merged["compute|value"] == "calculate|value##compute|value"
    assert merged["determine|number"] == "find|number##determine|number"
    assert merged["describe|person"] == "describe|person"  # a rare sense only; four commonest senses count
    assert merged["write|poem"] == "write|poem"
