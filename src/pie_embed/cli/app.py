"""The ``pie`` Typer app, the options its commands share, and the one-line error handler."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from pie_embed.embedding.config import DEFAULTS
from pie_embed.errors import PieError, one_line

if TYPE_CHECKING:
    from pie_embed.data.source import InstructionSource
    from pie_embed.embedding.protocol import TextEncoder

app = typer.Typer(
    name="pie",
    help="Instruction embeddings that encode the task an instruction asks for.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Outside a terminal (logs, pipes) rich would wrap the results table at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True)


def data_source(
    path: Path,
    field: str = "instruction",
    input_field: str = "input",
    label_field: str = "label",
    join: str = "none",
    split: str | None = None,
) -> InstructionSource:
    """The one place the commands turn a data path and their reader options into a source."""
    from pie_embed.data.source import InstructionSource

    return InstructionSource(path, field, input_field, label_field, join, split)


def model_encoder(
    model: str,
    prompt: str | None = None,
    pooling: str | None = None,
    *,
    batch_size: int = DEFAULTS.batch_size,
    engine: str = "local",
    workers: int = 1,
    ray_address: str | None = None,
) -> TextEncoder:
    """The one place the commands build an encoder from their model options: a transformer, a static
    model (``pie-static``), or a pool of Ray actors for ``--engine ray``."""
    from pie_embed.embedding.encoder import make_encoder

    config = DEFAULTS.replace(model=model, prompt=prompt, pooling=pooling, batch_size=batch_size)
    return make_encoder(config, engine, workers=workers, address=ray_address)


def fast_choice(
    model: str, sources: list[InstructionSource], max_rows: int | None = None, engine: str = "local"
) -> str:
    """The model --fast picks for ``sources`` (the largest row count, capped at ``max_rows``, decides),
    printed. Static models run in this process only, so with another engine the model stays."""
    from pie_embed.embedding.static import fast_model

    if engine != "local":
        console.print(f"--fast: keeping {model} (static models run here, not on --engine {engine})")
        return model
    rows = max(s.check().count() for s in sources) if model == DEFAULTS.model else 0
    rows = rows if max_rows is None else min(rows, max_rows)
    chosen, reason = fast_model(model, DEFAULTS.model, rows)
    console.print(reason, highlight=False)
    return chosen


def os_error_line(error: OSError) -> str:
    """One line for an operating-system error: the path and the system's reason."""
    where = error.filename if error.filename is not None else ""
    reason = error.strerror or type(error).__name__
    return one_line(f"{where}: {reason}" if where else f"{reason}: {error}")


def friendly_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Show pie-embed's errors as one red line and exit with status 2 instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr)
        try:
            return command(*args, **kwargs)
        except PieError as error:
            err_console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted[/yellow]")
            raise typer.Exit(130) from None
        except OSError as error:  # a path that cannot be created, read or written (PermissionError, ...)
            err_console.print(f"[red]error:[/red] {os_error_line(error)}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper
