"""Routes of the codeworld bridge (`POST /bridge/complete`, aliases `POST /bridge`, `POST /v1/codeworld`); no logic here.

Run it with `scillm bridge codeworld --port 8887` or `python -m scillm.bridges.codeworld`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from scillm.bridges.handlers import run_sync
from scillm.bridges.openapi import json_body
from scillm.bridges.schema import BridgeRequest

router = APIRouter()


@router.post("/bridge/complete", openapi_extra=json_body(BridgeRequest))
@router.post("/bridge", openapi_extra=json_body(BridgeRequest))
@router.post("/v1/codeworld", openapi_extra=json_body(BridgeRequest))
async def bridge(request: Request) -> JSONResponse:
    """Evaluate every item with the same engine call as direct mode."""
    return await run_sync(request)


__all__ = ["router"]

if __name__ == "__main__":
    from scillm.bridges.serve import main

    raise SystemExit(main(engine="codeworld"))
