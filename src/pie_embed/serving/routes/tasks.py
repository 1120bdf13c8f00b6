"""``POST /v1/identify`` (task identification) and ``POST /v1/retrieve`` (demonstration retrieval)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

import pie_embed.serving.schemas as schemas
from pie_embed.serving.dependencies import (
    BODY_ERRORS,
    State,
    check_model,
    embed_texts,
    read_inputs,
    run_after,
    usage,
)
from pie_embed.serving.responses import ApiError, json_response

router = APIRouter()


@router.post("/v1/identify", response_model=schemas.IdentifyResponse, responses=BODY_ERRORS)
async def identify(body: schemas.IdentifyRequest, http: Request, state: State) -> Response:
    """The task label and the nearest known tasks of each instruction."""
    identifier = state.identifier
    if identifier is None:
        raise ApiError(
            404, "task identification is off on this server (start it with --bank FILE)", code="not_enabled"
        )
    check_model(state, body.model)
    texts = read_inputs(state, body.input, "/v1/identify")
    encoded = await embed_texts(state, http, state.embed_batcher, texts, "/v1/identify")
    found = await run_after(state, http, texts, identifier.identify_vectors, texts, encoded.vectors, body.top)
    data = [{"index": i, **item.to_dict()} for i, item in enumerate(found)]
    payload = {"object": "list", "data": data, "model": state.model_names[0], "usage": usage(encoded)}
    return json_response(payload)


@router.post("/v1/retrieve", response_model=schemas.RetrieveResponse, responses=BODY_ERRORS)
async def retrieve(body: schemas.RetrieveRequest, http: Request, state: State) -> Response:
    """The top-k demonstrations for each query from the index loaded at start."""
    index, batcher = state.index, state.index_batcher
    if index is None or batcher is None:
        raise ApiError(
            404, "no retrieval index is loaded (start the server with --index FOLDER)", code="not_enabled"
        )
    model = str(index.settings["model"])
    check_model(state, body.model, model)
    texts = read_inputs(state, body.input, "/v1/retrieve")
    encoded = await embed_texts(state, http, batcher, texts, "/v1/retrieve")
    found = await run_after(state, http, texts, index.demonstrations, encoded.vectors, body.k)
    data = []
    for i, (text, demos) in enumerate(zip(texts, found, strict=True)):
        prompt = index.prompt(text, demos) if body.prompt else None
        data.append({"index": i, "query": text, "demonstrations": [vars(d) for d in demos], "prompt": prompt})
    return json_response({"object": "list", "data": data, "model": model, "usage": usage(encoded)})
