"""Exceptions with one-line messages meant to be shown to users as they are."""


class PieError(Exception):
    """Base class: every error pie-embed raises on bad input or configuration."""


class DataError(PieError, ValueError):
    """A data file is missing, malformed, or lacks a field; the message names file, line and field."""


class ModelNotFoundError(PieError, ValueError):
    """A model name is neither an alias, a local directory, nor a loadable Hugging Face id."""


class ConfigError(PieError, ValueError):
    """An option (prompt, pooling, ...) is invalid."""


class MissingExtraError(PieError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(f"{package} is not installed: pip install 'pie-embed[{extra}]'")


def one_line(text: object) -> str:
    """``text`` with its line breaks folded into spaces: an error message stays one line."""
    return " ".join(str(text).splitlines())
