"""``GET /v1/models``, ``GET /health`` and ``GET /metrics``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

import pie_embed.serving.schemas as schemas
from pie_embed.serving.dependencies import State, error_responses

router = APIRouter()


@router.get("/v1/models", response_model=schemas.ModelList, responses=error_responses(401))
async def models(http: Request, state: State) -> dict[str, Any]:
    """The served model under each name it answers to."""
    created = http.app.state.created
    card = {"object": "model", "created": created, "owned_by": "pie-embed"}
    cards = [{"id": name, **card} for name in state.model_names]
    return {"object": "list", "data": cards}


@router.get("/health", response_model=schemas.Health)
async def health(state: State) -> dict[str, Any]:
    """Liveness and what is loaded; open even with an API key set."""
    return {
        "status": "ok",
        "model": state.model_names[0],
        "dimension": state.embedder.dimension,
        "queue_depth": state.queue_depth,
        "index_rows": None if state.index is None else len(state.index),
        "identify_tasks": None if state.identifier is None else len(state.identifier.bank),
        "labeler": state.identifier is not None and state.identifier.labeler is not None,
    }


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}}
    | error_responses(401),
)
async def metrics(state: State) -> Response:
    """Prometheus metrics: requests, latency, batch sizes, queue depth."""
    return Response(state.metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")
