"""`pie serve`: the HTTP API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pie_embed.cli import options
from pie_embed.cli.app import app, err_console, friendly_errors
from pie_embed.embedding.config import DEFAULTS

if TYPE_CHECKING:
    from pie_embed.serving.state import ServingState


def _announce(url: str, state: ServingState) -> None:
    embedder = state.embedder
    parts = [f"{embedder.model_name} ({embedder.dimension}-d)"]
    if state.index is not None:
        parts.append(f"index: {len(state.index):,} rows")
    if state.identifier is not None:
        labeler = " + labeler" if state.identifier.labeler is not None else ""
        parts.append(f"identify: {len(state.identifier.bank):,} tasks{labeler}")
    err_console.print(f"pie serve: {' · '.join(parts)}", highlight=False)
    if not state.config.loopback and state.config.api_key is None:
        err_console.print(
            f"[red]warning:[/red] listening on {state.config.host} without --api-key: anyone who can reach "
            "this machine can use the server",
            highlight=False,
        )
    # one plain line that scripts (and the tests) read to find the port
    print(f"listening on {url} (API docs at {url}/docs)", flush=True)
    sys.stdout.flush()


@app.command()
@friendly_errors
def serve(
    model: options.Model = DEFAULTS.model,
    prompt: options.Prompt = None,
    pooling: options.Pooling = None,
    precision: options.Precision = DEFAULTS.precision,
    index: Annotated[
        Path | None, typer.Option("--index", help="A `pie index build` folder served by /v1/retrieve.")
    ] = None,
    bank: Annotated[
        list[Path] | None,
        typer.Option(
            "--bank",
            help="Labeled file of known tasks for /v1/identify (default: the 909 tasks shipped with "
            "pie-embed); repeatable.",
        ),
    ] = None,
    no_identify: Annotated[bool, typer.Option("--no-identify", help="Turn /v1/identify off.")] = False,
    no_labeler: Annotated[
        bool, typer.Option("--no-labeler", help="Identify by nearest tasks only (skip spaCy).")
    ] = False,
    host: Annotated[str, typer.Option("--host", help="Address to bind; loopback unless you widen it.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", help="Port (0: any free port, printed at start).")] = 8000,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            envvar="PIE_API_KEY",
            help="Require 'Authorization: Bearer KEY' (or set PIE_API_KEY).",
        ),
    ] = None,
    served_model_name: Annotated[
        list[str] | None,
        typer.Option(
            "--served-model-name", help="Another name /v1/embeddings accepts as `model`; repeatable."
        ),
    ] = None,
    max_inputs: Annotated[int, typer.Option("--max-inputs", help="Inputs per request.")] = 2048,
    max_chars: Annotated[int, typer.Option("--max-chars", help="Characters per input.")] = 32_768,
    max_body_bytes: Annotated[int, typer.Option("--max-body-bytes", help="Request body size.")] = 8
    * 1024
    * 1024,
    max_batch: Annotated[
        int, typer.Option("--max-batch", help="Texts merged into one model call (1: no batching).")
    ] = 64,
    batch_wait_ms: Annotated[
        float, typer.Option("--batch-wait-ms", help="How long a request waits for others to batch with.")
    ] = 2.0,
    max_queue: Annotated[
        int, typer.Option("--max-queue", help="Texts that may wait for the model before requests get 503.")
    ] = 8192,
    batch_size: Annotated[
        int, typer.Option("--batch-size", "-b", min=1, help="Texts per forward pass.")
    ] = DEFAULTS.batch_size,
    graceful_timeout: Annotated[
        float,
        typer.Option("--graceful-timeout", help="Seconds in-flight requests get to finish on shutdown."),
    ] = 30.0,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn's: critical .. debug.")] = "info",
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request.")
    ] = True,
) -> None:
    """Serve embeddings (OpenAI-compatible), task identification and retrieval over HTTP."""
    from pie_embed.extras import require_extra

    require_extra("serve")
    from pie_embed.serving import ServerConfig
    from pie_embed.serving import serve as run_server
    from pie_embed.tools import ServingToolkit

    config = ServerConfig(
        model=model,
        prompt=prompt,
        pooling=pooling,
        precision=precision,
        batch_size=batch_size,
        index=index,
        bank=bank or None,
        identify=not no_identify,
        labeler=not no_labeler,
        served_model_names=served_model_name or [],
        host=host,
        port=port,
        api_key=api_key,
        max_inputs=max_inputs,
        max_chars=max_chars,
        max_body_bytes=max_body_bytes,
        max_batch=max_batch,
        batch_wait_ms=batch_wait_ms,
        max_queue=max_queue,
        graceful_timeout=graceful_timeout,
        log_level=log_level,
        access_log=access_log,
    )
    run_server(config, on_listening=_announce, tools=ServingToolkit())
