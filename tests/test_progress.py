"""progress_bar: a live bar on a terminal; elsewhere a line every LOG_EVERY_S seconds and nothing else."""

from __future__ import annotations

from pie_embed import progress
from pie_embed.progress import progress_bar


def test_without_a_terminal_progress_is_a_line_now_and_then(monkeypatch, capsys) -> None:
    monkeypatch.setattr(progress, "LOG_EVERY_S", 0.0)
    with progress_bar(10, "embedding") as advance:
        advance(4)
        advance(6)
    assert capsys.readouterr().err.splitlines() == ["embedding: 4 of 10", "embedding: 10 of 10"]


def test_a_short_job_without_a_terminal_prints_nothing(capsys) -> None:
    with progress_bar(None, "reading") as advance:
        advance(5)
    with progress_bar(3, "hidden", show=False) as advance:
        advance(3)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
