"""Where the IEB files live and what they are called."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEFAULT_IEB_DIR", "ICL_FILE", "ICT_FILE", "IIS_FILE", "TEST_FILES", "ieb_test_files"]

# The public IEB files sit in ../shared/ieb beside the repository (see the README's set-up).
DEFAULT_IEB_DIR = Path("../shared/ieb")
ICT_FILE = "eft_test.json"
IIS_FILE = "intention_similarity_test.json"
ICL_FILE = "ift_test.json"
TEST_FILES = (ICT_FILE, IIS_FILE, ICL_FILE)


def ieb_test_files(folder: str | Path = DEFAULT_IEB_DIR, excluding: str | Path | None = None) -> list[Path]:
    """The IEB test files present in ``folder`` (none if it does not exist), other than ``excluding``:
    the files a training set must not overlap."""
    folder = Path(folder)
    skip = Path(excluding).resolve() if excluding is not None else None
    return [p for name in TEST_FILES if (p := folder / name).is_file() and p.resolve() != skip]
