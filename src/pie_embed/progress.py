"""One progress bar for every long job: rich, on stderr, gone when the job ends. Where stderr is not a
terminal (a log file, CI), a line every 30 seconds instead: a live bar there leaves blank lines, and the
one line of an error would not be the only output."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

LOG_EVERY_S = 30.0  # without a terminal: seconds between progress lines


def _progress_lines(total: int | None, description: str) -> Callable[[int], None]:
    done, last = 0, time.monotonic()

    def advance(n: int) -> None:
        nonlocal done, last
        done += n
        if time.monotonic() - last >= LOG_EVERY_S:
            last = time.monotonic()
            print(
                f"{description}: {done:,}" + (f" of {total:,}" if total else ""), file=sys.stderr, flush=True
            )

    return advance


@contextmanager
def progress_bar(total: int | None, description: str, show: bool = True) -> Iterator[Callable[[int], None]]:
    """Yields ``advance(n)``; a no-op when ``show`` is false. ``total`` None: a count without an end."""
    if not show:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield _progress_lines(total, description)
        return
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
