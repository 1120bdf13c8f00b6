"""Syntactic rules that turn one parsed instruction into its IEB task category ``verb|noun``.

The rules read a spaCy dependency parse (Universal POS tags, ClearNLP dependency labels). They use only
grammar: parts of speech, dependency relations, morphology and a handful of closed-class words (wh-words,
pronouns, quantifiers), never lists of task verbs or nouns. The IEB conventions they reproduce:

- an imperative gives the lemma of its main verb and the head lemma of that verb's object;
- a wh-question that asks for an explanation or a fact ("Why is X ...?", "How does X work?") gives
  ``why|knowledge`` / ``how|knowledge``; a wh-question about an action ("How would you handle X?") or a
  copula ("What would be the output ...?") gives that verb and its noun;
- a verb whose object is only quoted text gives the noun ``none`` (``translate|none``), one whose topic is
  a name gives ``knowledge`` (``tell|knowledge``), one whose object is numbers gives ``math``;
- an instruction addressed to the reader in the passive ("You will be given two strings") gives ``be``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pie_embed.data.text import clean_text

__all__ = [
    "TaskLabel",
    "choose_sentence",
    "first_word",
    "instruction_segment",
    "label_parse",
    "needs_imperative_reparse",
]

Token = Any  # spaCy Token; spaCy is an optional dependency, so it is not imported here.

NO_NOUN = "none"
KNOWLEDGE = "knowledge"

_WH_ADVERBS = frozenset({"how", "why", "where", "when"})
_WH_PRONOUNS = frozenset({"what", "which", "who", "whom", "whose", "whatever"})
_WH_WORDS = _WH_ADVERBS | _WH_PRONOUNS
_INDEFINITE_PRONOUNS = frozenset(
    {"something", "someone", "somebody", "anything", "anyone", "everything", "everyone"}
)
_PURE_QUANTIFIERS = frozenset(
    {
        "all",
        "some",
        "any",
        "each",
        "none",
        "one",
        "most",
        "many",
        "few",
        "several",
        "both",
        "either",
        "neither",
        "much",
        "more",
        "half",
        "rest",
    }
)
_CLAUSE_DEPS = frozenset({"ccomp", "xcomp", "advcl"})
_QUOTE_SPANS = re.compile(
    r"\"[^\"\n]{1,400}\"|“[^”\n]{1,400}”|‘[^’\n]{1,400}’|(?<![\w])'[^'\n]{1,400}'(?![\w])"
)
_HEADER = re.compile(r"^\s*[A-Za-z][\w ]{0,24}:\s+(?=\S)")
_ARITHMETIC = re.compile(r"\d\s*[-+*/^=×÷]\s*\(?\s*\d")
QUOTE_PLACEHOLDER = "Q"


@dataclass(frozen=True)
class TaskLabel:
    """The task category of one instruction and how it was found.

    ``verb`` and ``noun`` are lemmas (``noun`` may be ``"none"`` by the IEB convention for a verb without a
    nominal object). ``label`` is ``None`` when no category could be found; ``reason`` then says why.
    ``rule`` names the rule that produced the label, for debugging.
    """

    verb: str | None
    noun: str | None
    rule: str
    reason: str | None = None

    @property
    def label(self) -> str | None:
        """``verb|noun``, or ``None`` when the instruction has no category."""
        if self.verb is None or self.noun is None:
            return None
        return f"{self.verb}|{self.noun}"


def instruction_segment(text: str) -> str:
    """The part of an instruction that states the task: its first line, before any ``:`` that opens the input.

    A short heading such as ``"Task:"`` is dropped; quoted text is replaced by a placeholder so that quoted
    sentences cannot take over the parse.
    """
    text = clean_text(text).strip()
    header = _HEADER.match(text)
    if header and len(header.group(0).split()) <= 2 and re.search(r"[A-Za-z]{2}", text[header.end() :]):
        text = text[header.end() :]
    text = _QUOTE_SPANS.sub(QUOTE_PLACEHOLDER, text)
    for line in text.splitlines():
        if line.strip():
            text = line.strip()
            break
    colon = re.search(r":(\s|$)", text)
    if colon and len(text[: colon.start()].split()) >= 2:
        text = text[: colon.start()]
    return text[:400]


def _lemma(token: Token) -> str:
    return token.lemma_.lower()


def _is_placeholder(token: Token) -> bool:
    return token.text == QUOTE_PLACEHOLDER


def _is_nominal(token: Token) -> bool:
    """A common noun, or an indefinite pronoun (``something``) that IEB keeps as a placeholder noun."""
    if _is_placeholder(token) or not token.is_alpha:
        return False
    if token.pos_ == "NOUN":
        return True
    return token.lower_ in _INDEFINITE_PRONOUNS


def _is_personal(token: Token | None) -> bool:
    return token is not None and token.pos_ == "PRON" and "Prs" in token.morph.get("PronType")


def _verbal(token: Token) -> bool:
    return token.pos_ in ("VERB", "AUX")


def _children(token: Token, *deps: str) -> list[Token]:
    return [child for child in token.children if child.dep_ in deps]


def _of_complement(token: Token) -> Token | None:
    """The noun a quantifier or partitive picks from: ``all of the dates``, ``the largest one among ...``."""
    for prep in _children(token, "prep"):
        for pobj in _children(prep, "pobj"):
            return pobj
    return None


def _first_compound(head: Token) -> Token | None:
    """IEB names a compound by its first common noun: ``code snippet`` -> code, ``news story`` -> news.

    Capitalised modifiers are names (``Celsius temperature``) and are passed over, except in front of quoted
    text, where the tagger reads every word of the phrase as a name (``the poem "..."``). Lower-case names
    count (``python program`` -> python), as in IEB.
    """
    modifiers = [c for c in head.children if c.dep_ == "compound" and c.i < head.i]
    for modifier in sorted(modifiers, key=lambda t: t.i):
        inner = _first_compound(modifier)
        if inner is not None:
            return inner
        if (
            modifier.is_alpha
            and (modifier.is_lower or _is_placeholder(head))
            and modifier.pos_ in ("NOUN", "PROPN", "VERB")
        ):
            return modifier
    return None


def _head_noun(token: Token) -> Token | None:
    """The noun a nominal phrase names: looks through quantifiers (``all of the dates``) and numbers."""
    if token.lower_ in _PURE_QUANTIFIERS or token.pos_ in ("NUM", "PRON", "DET"):
        inner = _of_complement(token)
        if inner is not None:
            return _head_noun(inner)
    if not (_is_nominal(token) or _is_placeholder(token)):
        return None
    compound = _first_compound(token)
    if compound is not None:
        return compound
    return token if _is_nominal(token) else None


def _is_math(token: Token) -> bool:
    """An object made of numbers and symbols rather than words (``Multiply 4 and 7``)."""
    words = [t for t in token.subtree if t.is_alpha and len(t) > 1 and t.pos_ != "CCONJ"]
    return not words and (token.pos_ in ("NUM", "SYM", "X") or token.like_num or not token.is_alpha)


def _object_noun(verb: Token) -> tuple[Token | None, str]:
    """The noun a verb acts on and the relation it came from."""
    for dep in ("dobj", "obj", "npadvmod", "attr", "oprd", "nsubjpass"):
        for child in _children(verb, dep):
            if dep == "nsubjpass" and child.lower_ == "you":
                continue
            if dep in ("npadvmod", "attr", "oprd") and child.i < verb.i and child.pos_ != "PRON":
                continue
            noun = _head_noun(child)
            if noun is not None:
                return noun, dep
            for appos in _children(child, "appos"):
                noun = _head_noun(appos)
                if noun is not None:
                    return noun, f"{dep}-appos"
    for prep in _children(verb, "prep", "dative", "agent"):
        if prep.i < verb.i:
            continue
        for pobj in _children(prep, "pobj"):
            noun = _head_noun(pobj)
            if noun is not None:
                return noun, "pobj"
    return None, ""


def _clause_subject(clause: Token) -> Token | None:
    for child in _children(clause, "nsubj", "nsubjpass", "csubj"):
        return child
    return None


def _wh_token(clause: Token) -> Token | None:
    """The wh-word that introduces a clause (``how``, ``which``, ``what``), if any."""
    for token in clause.subtree:
        if token.i >= clause.i:
            break
        if token.lower_ in _WH_WORDS:
            return token
    return None


def _unwrap(verb: Token, trail: list[str]) -> Token:
    """Follow framing verbs to the verb that names the task.

    ``I want you to write``, ``Your task is to write``, ``You need to read`` and ``Tell me how I would get``
    all name their task in a complement clause: a verb with no nominal object of its own hands over to its
    to-infinitive, or to an embedded question whose subject is the reader or the writer.
    """
    for _ in range(4):
        noun, _dep = _object_noun(verb)
        if noun is not None and verb.lemma_ != "be":
            return verb
        nxt = None
        for child in verb.children:
            if child.dep_ not in _CLAUSE_DEPS or not _verbal(child) or child.i < verb.i:
                continue
            has_to = any(c.dep_ == "aux" and c.lower_ == "to" for c in child.children)
            subject = _clause_subject(child)
            if child.dep_ == "xcomp" or (has_to and subject is None):
                nxt = child
                break
            # "Explain how you would teach X" (an embedded question about the reader's doing) and
            # "I want you to write X" (the reader told to do something).
            if (
                child.dep_ == "ccomp"
                and _is_personal(subject)
                and subject.lower_ != "it"
                and (has_to or _wh_token(child) is not None)
            ):
                nxt = child
                break
        if nxt is None:
            return verb
        trail.append(f"{verb.lemma_.lower()}->{nxt.lemma_.lower()}")
        verb = nxt
    return verb


def first_word(sent: Any) -> Token | None:
    """The first word of a sentence, passing over a leading ``please``."""
    return next((t for t in sent if t.is_alpha and t.lower_ != "please"), None)


def needs_imperative_reparse(sent: Any) -> bool:
    """Whether the first word may be an imperative verb the tagger read as a noun or adjective.

    Such sentences are parsed again behind ``"Please "``, which makes the imperative reading the likely one.
    """
    first = first_word(sent)
    if first is None or first.i != sent.start:
        return False
    if first.pos_ == "VERB" and first.dep_ == "ROOT":
        return False
    if first.lower_ in _WH_WORDS or first.tag_ in ("VBN", "VBG"):
        return False
    return first.pos_ in ("NOUN", "PROPN", "ADJ", "VERB", "X") or (
        first.pos_ == "ADV" and first.dep_ == "ROOT"
    )


def _main_verb(sent: Any) -> tuple[Token | None, str]:
    root = sent.root
    if _verbal(root):
        return root, "root-verb"
    first = first_word(sent)
    # "Please list three countries": after "please" a tagger may still leave the verb as a noun.
    if first is not None and first.head == root and first.dep_ in ("intj", "conj") and _verbal(first):
        return first, "root-verb"
    return None, ""


def _coordinated_object(verb: Token) -> tuple[Token | None, Token | None]:
    """``Find and correct mistakes``: the object is attached to the last of coordinated verbs."""
    for conj in _children(verb, "conj"):
        noun, _dep = _object_noun(conj)
        if noun is not None and conj.i < noun.i:
            between = [t for t in conj.doc[verb.i + 1 : conj.i] if t.pos_ not in ("CCONJ", "PUNCT", "ADV")]
            if not between:
                return conj, noun
    return None, None


def _clause_noun(verb: Token) -> tuple[Token | None, str]:
    """The noun of a complement clause: ``Determine whether the statement is true`` -> statement."""
    for child in verb.children:
        if child.dep_ not in ("ccomp", "advcl", "xcomp") or child.i < verb.i:
            continue
        if _is_nominal(child):
            return child, "clause-nominal"
        wh = _wh_token(child)
        if wh is not None:
            # "which genre", "how many words", "which of the sentences": the noun the wh-word asks about.
            phrase = wh
            while phrase.head.i != phrase.i and phrase.head.i < child.i and phrase.pos_ != "NOUN":
                phrase = phrase.head
            noun = _head_noun(phrase) if phrase.pos_ == "NOUN" else None
            if noun is None:
                inner = _of_complement(wh)
                noun = _head_noun(inner) if inner is not None else None
            if noun is not None:
                return noun, "clause-wh-noun"
        subject = _clause_subject(child)
        if subject is not None:
            noun = _head_noun(subject)
            if noun is not None:
                return noun, "clause-subject"
        noun, dep = _object_noun(child)
        if noun is not None:
            return noun, f"clause-{dep}"
    return None, ""


def _is_imperative(sent: Any) -> bool:
    """A sentence headed by a bare verb with no subject: ``Write a sentence ...``."""
    root = sent.root
    return root.pos_ == "VERB" and root.tag_ == "VB" and _clause_subject(root) is None


def _sets_reader_role(sent: Any) -> bool:
    """``You are a software developer.`` / ``Imagine you are planning a party.``: a scene set for the reader.

    The reader is the subject and is described (a role, or something in progress), not given anything.
    """
    root = sent.root
    clause = root
    if _is_imperative(sent):
        clause = next((c for c in root.children if c.dep_ == "ccomp"), None)
        if clause is None:
            return False
    subject = _clause_subject(clause)
    if subject is None or subject.lower_ != "you" or _children(clause, "auxpass"):
        return False
    role = clause.lemma_ == "be" and bool(_children(clause, "attr"))
    in_progress = clause.tag_ == "VBG" and any(c.dep_ == "aux" and c.lemma_ == "be" for c in clause.children)
    return role or in_progress


def choose_sentence(doc: Any) -> Any:
    """The sentence that states the task: the first, unless it only sets a scene for the reader and an
    imperative follows (``Imagine you are a journalist. Detect news about ...``)."""
    sents = list(doc.sents)
    if len(sents) > 1 and _sets_reader_role(sents[0]) and _is_imperative(sents[1]):
        return sents[1]
    return sents[0]


def _verb_lemma(verb: Token) -> str:
    """The verb's lemma; a prefix split off by a hyphen (``Re-arrange``) gives way to the verb after it."""
    doc = verb.doc
    if verb.i + 2 < len(doc) and doc[verb.i + 1].text == "-" and doc[verb.i + 2].is_alpha and len(verb) <= 3:
        return doc[verb.i + 2].lemma_.lower()
    return _lemma(verb)


def _no_noun_label(verb: Token, verb_lemma: str, sent: Any, rule: str) -> TaskLabel:
    """A verb without a common-noun object: a math expression, a named topic, or nothing (``none``)."""
    objects = _children(verb, "dobj", "obj")
    after = [t for t in sent if t.i > verb.i]
    if any(_is_math(c) for c in objects) or (
        not any(t.is_alpha for t in after) and any(t.like_num or t.pos_ == "SYM" for t in after)
    ):
        return TaskLabel(verb_lemma, "math", f"{rule}:math")
    if any(_is_placeholder(c) for c in objects):
        return TaskLabel(verb_lemma, NO_NOUN, f"{rule}:quoted-object")
    # "Tell me about David Wolfenberger", "Summarize what GDP means": a question about a named thing.
    if any(t.pos_ == "PROPN" and not _is_placeholder(t) for t in after):
        return TaskLabel(verb_lemma, KNOWLEDGE, f"{rule}:named-topic")
    return TaskLabel(verb_lemma, NO_NOUN, f"{rule}:no-object")


def _infinitive_in(token: Token) -> Token | None:
    """The first to-infinitive under ``token``: ``Is there an easy way to determine ...`` -> determine."""
    for t in token.subtree:
        if t.pos_ == "VERB" and any(c.dep_ == "aux" and c.lower_ == "to" for c in t.children):
            return t
    return None


def _antecedent_noun(verb: Token) -> tuple[Token | None, str]:
    """``Given a list of numbers, sort them``: a pronoun object stands for what the leading phrase gave."""
    if not any(_is_personal(c) for c in _children(verb, "dobj", "obj")):
        return None, ""
    for child in verb.children:
        if child.i > verb.i or child.dep_ not in ("prep", "advcl") or child.tag_ != "VBN":
            continue
        for given in _children(child, "pobj", "dobj"):
            noun = _head_noun(given)
            if noun is not None:
                return noun, "antecedent"
    return None, ""


def label_parse(sent: Any) -> TaskLabel:
    """Label one parsed sentence (a spaCy ``Span``) with its task category."""
    if not any(t.is_alpha for t in sent):
        return TaskLabel(None, None, "empty", "the first sentence has no words")
    first = first_word(sent)
    at_start = first is not None and first.i == sent.start
    wh = first if at_start and first.lower_ in _WH_WORDS else None
    verb, rule = _main_verb(sent)
    if verb is None:
        if wh is not None:
            return TaskLabel(wh.lower_, KNOWLEDGE, "wh-question")
        if sent.root.pos_ in ("NOUN", "PROPN"):
            return TaskLabel("noun", KNOWLEDGE, "noun-phrase-query")
        return TaskLabel(None, None, "no-verb", "no verb heads the first sentence")
    # "Is the following sentence true?": a yes/no question on a copula, unless it asks about doing something.
    if at_start and first.i == verb.i and verb.pos_ == "AUX" and wh is None:
        infinitive = _infinitive_in(verb)
        if infinitive is None:
            return TaskLabel("yes-no", "task", "yes-no-question")
        verb, rule = infinitive, "yes-no-question-infinitive"
    trail: list[str] = []
    if wh is None:
        verb = _unwrap(verb, trail)
    trail_text = "+".join([rule, *trail])
    # "You will be given two strings": an instruction addressed to the reader in the passive gives "be".
    subject = _clause_subject(verb)
    verb_lemma = _verb_lemma(verb)
    if _children(verb, "auxpass") and subject is not None and subject.lower_ == "you":
        verb_lemma = "be"
    noun, dep = _object_noun(verb)
    if wh is not None:
        modal = any(c.dep_ == "aux" and c.tag_ == "MD" for c in verb.children)
        if wh.lower_ in _WH_PRONOUNS and verb.lemma_ == "be" and not modal:
            # "What is the capital of France?" asks for a fact; "What is the sum of 1+2?" for a calculation.
            topic = "math" if _ARITHMETIC.search(sent.text) else KNOWLEDGE
            return TaskLabel(wh.lower_, topic, "wh-copula-question")
        # "How would you handle X?" asks for an action; "How does X work?", "Why is X ...?" ask for knowledge.
        addressed = _is_personal(subject) and subject.lower_ != "it"
        if wh.lower_ in _WH_ADVERBS and not ((noun is not None and dep in ("dobj", "obj")) or addressed):
            return TaskLabel(wh.lower_, KNOWLEDGE, "wh-question")
    if noun is None:
        conj, conj_noun = _coordinated_object(verb)
        if conj is not None:
            return TaskLabel(_verb_lemma(conj), _lemma(conj_noun), "coordinated-verbs")
        noun, dep = _clause_noun(verb)
    if noun is None:
        noun, dep = _antecedent_noun(verb)
    if noun is None:
        if wh is not None and wh.lower_ in _WH_PRONOUNS and wh.head == verb:
            return TaskLabel(wh.lower_, KNOWLEDGE, "wh-question")
        return _no_noun_label(verb, verb_lemma, sent, trail_text)
    return TaskLabel(verb_lemma, _lemma(noun), f"{trail_text}:{dep}")
