"""`POST /prove`: the single-theorem interface of the reference service, over the same certainly engine.

The request names the theorem's parts (`imports`, `extra_prelude`, `decls`,
`theorem_name`, `theorem_statement`), a search budget and a model backend;
`dummy` is the offline portfolio, other backends are LiteLLM models the
server's operator configured (`--model-alias openai=...`). The reply carries
the full checked file as `final_proof.lean_file` (the reference name, even
for Coq) and as the backend-neutral `final_proof.file`.
"""

from __future__ import annotations

from typing import Any, Literal

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scillm.bridges.body import finite, read_json, require_json
from scillm.bridges.deps import bridge_state, check_auth
from scillm.bridges.handlers import reserve, run_watched
from scillm.bridges.http_errors import BridgeHTTPError, field_errors
from scillm.bridges.openapi import json_body
from scillm.bridges.policy import certainly_kwargs, door_check_certainly
from scillm.integrations.certainly.options import RequestFieldError

router = APIRouter()

ModelBackend = Literal["dummy", "openai", "gemini", "deepseek", "local"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProveBudget(_Strict):
    """Search budget; each field is also capped by the server."""

    max_rounds: int = Field(4, ge=1, le=1000)
    candidates_per_round: int = Field(8, ge=1, le=1000)
    repairs_per_round: int = Field(2, ge=0, le=1000)
    timeout_ms_per_check: int = Field(10_000, ge=1, le=3_600_000)
    max_total_checks: int = Field(64, ge=1, le=100_000)


class ProveModel(_Strict):
    """Who proposes proofs: `dummy` (offline portfolio) or a backend the server configured."""

    backend: ModelBackend = "dummy"
    model_name: str | None = Field(None, max_length=256, description="An alias the server allows for this backend.")
    temperature: float = Field(0.2, ge=0.0, le=2.0)


class ProveRequest(_Strict):
    """Body of `POST /prove`."""

    job_id: str | None = Field(None, max_length=256, description="Caller's id, echoed back.")
    imports: list[str] = Field(default_factory=list, max_length=64, description="`Coq.Arith.Arith` or whole `Require` lines.")
    extra_prelude: str = Field("", max_length=65536, description="Header text after the imports.")
    decls: str = Field("", max_length=65536, description="Definitions before the theorem.")
    theorem_name: str = Field("certainly_goal", max_length=256, pattern=r"^[A-Za-z_][\w']*$")
    theorem_statement: str = Field(..., min_length=1, max_length=65536, description="The proposition to prove.")
    budget: ProveBudget = Field(default_factory=lambda: ProveBudget.model_validate({}))
    model: ProveModel = Field(default_factory=lambda: ProveModel.model_validate({}))


class FinalProof(_Strict):
    proof_block: str
    lean_file: str = Field(..., description="The full checked file (the reference's name; Coq files too).")
    file: str = Field(..., description="The same file, under a backend-neutral name.")
    theorem_name: str


class ProveStats(_Strict):
    rounds_used: int
    checks_used: int
    time_ms_total: float
    cache_hits: int


class ProveAttempt(_Strict):
    round: int
    candidate_id: str = Field(..., description="`r<round>_c<index>`.")
    proof_block: str
    lean_ok: bool = Field(..., description="The checker accepted this candidate.")
    error_class: str | None = None
    message_excerpt: str | None = None
    score: float = Field(..., ge=0.0, le=1.0)


class ProveReply(_Strict):
    job_id: str | None
    ok: bool
    final_proof: FinalProof | None
    stats: ProveStats
    attempts: list[ProveAttempt]
    status: str = Field(..., description="The certainly status (proved, failed, timeout, error, rejected, ...).")


def _header(body: ProveRequest) -> str:
    lines = [i if i.strip().startswith(("Require", "From", "Import", "Export")) else f"Require Import {i.strip()}."
             for i in body.imports if i.strip()]
    return "\n".join([*lines, body.extra_prelude] if body.extra_prelude else lines)


def _args(body: ProveRequest, aliases: dict[str, str]) -> dict[str, Any]:
    args: dict[str, Any] = {"budget": body.budget.model_dump()}
    if body.model.backend == "dummy":
        args.update(no_llm=True, strategies=["portfolio"])
        return args
    for name in (body.model.model_name, body.model.backend):
        if name and name in aliases:
            args.update(model=name, temperature=body.model.temperature)
            return args
    raise field_errors([("model.backend", f"backend {body.model.backend!r} is not configured on this server; "
                         f"configured: {', '.join(sorted(aliases)) or 'none (use dummy)'}")], "cannot prove")


def _attempt(raw: dict[str, Any]) -> ProveAttempt:
    ok = raw.get("status") == "proved"
    priority = max(0.0, float(raw.get("score") or 0.0))
    score = 1.0 if ok else priority / (priority + 10.0)
    message = raw.get("message")
    return ProveAttempt(round=int(raw.get("round", 0)), candidate_id=f"r{raw.get('round', 0)}_c{raw.get('candidate_id', 0)}",
                        proof_block=str(raw.get("proof", "")), lean_ok=ok, error_class=raw.get("error_class"),
                        message_excerpt=message[:500] if isinstance(message, str) else None,
                        score=min(1.0, max(0.0, score)))


def reply_of(body: ProveRequest, result: dict[str, Any]) -> ProveReply:
    stats = result.get("stats") or {}
    ok = result.get("status") == "proved"
    final = None
    if ok:
        code = str(result.get("code") or "")
        final = FinalProof(proof_block=str(result.get("proof") or ""), lean_file=code, file=code,
                           theorem_name=body.theorem_name)
    return ProveReply(job_id=body.job_id, ok=ok, final_proof=final, status=str(result.get("status")),
                      stats=ProveStats(rounds_used=int(stats.get("rounds", 0)), checks_used=int(stats.get("checks", 0)),
                                       time_ms_total=float(stats.get("time_ms", 0.0)),
                                       cache_hits=int(stats.get("cache_hits", 0))),
                      attempts=[_attempt(a) for a in result.get("attempts") or [] if isinstance(a, dict)])


@router.post("/prove", openapi_extra=json_body(ProveRequest))
async def prove(request: Request) -> JSONResponse:
    """Prove one theorem; 200 with `ok` true or false and the structured attempts."""
    state = bridge_state(request)
    check_auth(request)
    require_json(request)
    reservation = reserve(request, state)
    try:
        data = await read_json(request, state.settings.max_body_bytes, state.settings.body_timeout_s)
        try:
            body = ProveRequest.model_validate(data)
        except ValidationError as exc:
            raise field_errors([(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()],
                               "request does not match the /prove schema") from exc
        engine = state.require_engine()
        item = {"id": body.job_id or "prove", "requirement_text": body.theorem_statement, "header": _header(body),
                "decls": body.decls, "theorem_name": body.theorem_name}
        try:
            kwargs = certainly_kwargs(_args(body, state.settings.model_aliases), {}, state.settings)
            await anyio.to_thread.run_sync(door_check_certainly, [item])  # reads whole files: off the loop
        except RequestFieldError as exc:
            raise field_errors(exc.problems, "request refused by the server's policy") from exc
        outcome = await run_watched(request, engine, [item], kwargs, reservation,
                                    state.settings.default_max_seconds, None)
    finally:
        reservation.release()
    result = outcome.results[0]
    if not isinstance(result, dict):
        raise BridgeHTTPError(500, "engine_error", "the engine returned no result for the theorem")
    state.metrics.record_result(result)
    return JSONResponse(finite(reply_of(body, result).model_dump(mode="json")))


__all__ = ["ProveReply", "ProveRequest", "reply_of", "router"]
