"""Where the IEB files live and what they are called."""

from __future__ import annotations

from pathlib import Path

from pie_embed.paths import find_data_dir

__all__ = ["ICL_FILE", "ICT_FILE", "IIS_FILE", "TEST_FILES", "ieb_test_files"]

ICT_FILE = "eft_test.json"
IIS_FILE = "intention_similarity_test.json"
ICL_FILE = "ift_test.json"
TEST_FILES = (ICT_FILE, IIS_FILE, ICL_FILE)


def ieb_test_files(folder: str | Path | None = None, excluding: str | Path | None = None) -> list[Path]:
    """The IEB test files present in ``folder`` (by default the ``ieb`` data folder, see
    :mod:`pie_embed.paths`; none if there is none), other than ``excluding``: the files a training set
    must not overlap."""
    folder = Path(folder) if folder is not None else find_data_dir("ieb")
    if folder is None:
        return []
    skip = Path(excluding).resolve() if excluding is not None else None
    return [p for name in TEST_FILES if (p := folder / name).is_file() and p.resolve() != skip]
