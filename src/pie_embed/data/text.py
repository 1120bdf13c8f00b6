"""What text a tokenizer can take: one rule for every reader, the embedder, the labeler and the server.

- Lone surrogates (``"\\ud800"``, or undecodable bytes in a command-line argument) are not Unicode: they
  cannot be tokenized or written back out as UTF-8, so a text holding one is refused.
- Control characters other than tab, newline and carriage return (NUL, escape, C1 controls, DEL) carry
  no meaning for a task and break some tokenizers: each becomes a space in the text that is embedded or
  labeled. The row itself is kept as it was, so outputs still hold the original.
- Everything else (right-to-left marks, emoji, any script, any length) passes unchanged; overlong texts
  are cut at the model's token limit later, and the count is reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pie_embed.errors import ConfigError, DataError

__all__ = ["checked_text", "checked_texts", "clean_text", "surrogate_problem", "value_surrogate_problem"]

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def surrogate_problem(text: str) -> str | None:
    """Why ``text`` is not valid Unicode (its first lone surrogate and where), or None when it is; callers
    say ``f"{what} is not valid Unicode: {problem}"``."""
    found = _SURROGATE.search(text)
    if found is None:
        return None
    return f"a lone surrogate U+{ord(found.group()):04X} at character {found.start() + 1}"


def value_surrogate_problem(value: Any) -> str | None:
    """:func:`surrogate_problem` for a string, or the first string nested in a list or dict."""
    if isinstance(value, str):
        return surrogate_problem(value)
    if isinstance(value, dict):
        items: Any = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple):
        items = value
    else:
        return None
    for item in items:
        if (problem := value_surrogate_problem(item)) is not None:
            return problem
    return None


def checked_text(text: object, index: int) -> str:
    """Text ``index`` of an encoder's input, cleaned (:func:`clean_text`), or a one-line DataError when
    it is not a string or not valid Unicode. Emptiness is the caller's to check (after its prompt)."""
    if not isinstance(text, str):
        raise DataError(f"text {index} is {type(text).__name__}, not a string")
    if (problem := surrogate_problem(text)) is not None:
        raise DataError(f"text {index} is not valid Unicode: {problem}")
    return clean_text(text)


def checked_texts(texts: Sequence[object]) -> list[str]:
    """Every text of an encoder's input after :func:`checked_text`, or a one-line DataError naming the
    first that is empty (blank after cleaning) or not text."""
    if isinstance(texts, str):
        raise ConfigError("encode_with_stats() takes a list of texts; encode() also takes one string")
    checked = [checked_text(text, i) for i, text in enumerate(texts)]
    for i, text in enumerate(checked):
        if not text.strip():
            raise DataError(f"text {i} is an empty instruction")
    return checked


def clean_text(text: str) -> str:
    """``text`` with each control character (other than tab, newline, carriage return) made a space."""
    return _CONTROL.sub(" ", text) if _CONTROL.search(text) else text
