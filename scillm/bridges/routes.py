"""The work routes of each engine's bridge (`POST /bridge/complete`, aliases `/bridge` and `/v1/<engine>`); no logic here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from scillm.bridges.handlers import run_sync
from scillm.bridges.openapi import json_body
from scillm.remote.schema import BridgeRequest

certainly_router = APIRouter()
codeworld_router = APIRouter()


@certainly_router.post("/bridge/complete", openapi_extra=json_body(BridgeRequest))
@certainly_router.post("/bridge", openapi_extra=json_body(BridgeRequest))
@certainly_router.post("/v1/certainly", openapi_extra=json_body(BridgeRequest))
async def certainly_bridge(request: Request) -> JSONResponse:
    """Prove every item with the same engine call as direct mode."""
    return await run_sync(request)


@codeworld_router.post("/bridge/complete", openapi_extra=json_body(BridgeRequest))
@codeworld_router.post("/bridge", openapi_extra=json_body(BridgeRequest))
@codeworld_router.post("/v1/codeworld", openapi_extra=json_body(BridgeRequest))
async def codeworld_bridge(request: Request) -> JSONResponse:
    """Evaluate every item with the same engine call as direct mode."""
    return await run_sync(request)


__all__ = ["certainly_router", "codeworld_router"]
