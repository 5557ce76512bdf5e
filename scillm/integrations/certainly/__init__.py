"""certainly: requirements in, machine-checked proofs out.

`prove_requirement` proves one requirement and answers a small dict;
`is_available` says whether any proof backend works here. Both import the
engine only when called.
"""

from __future__ import annotations

from typing import Any


def is_available() -> bool:
    """True when some proof backend (Coq or Lean) works here; probed afresh on every call."""
    from scillm.integrations.certainly.engine import backend_statuses

    return any(s.available for s in backend_statuses().values())


def prove_requirement(
    requirement: str,
    tactics: list[str] | None = None,
    *,
    backend: str | None = None,
    model: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Prove one requirement; `{ok, best{code, proof, backend, compile_ms}, attempts, diagnosis, result}`.

    Extra keyword arguments (`options`, `flags`, `max_seconds`, `api_base`, ...)
    go to the engine unchanged.
    """
    from scillm.integrations.certainly.engine import arun_items
    from scillm.llms.registry import run_sync

    payload = run_sync(arun_items([{"requirement_text": requirement}], tactics=tactics, backend=backend,
                                  model=model, **kwargs))
    result = payload["results"][0]
    ok = result["status"] == "proved"
    winner = next((a for a in reversed(result["attempts"]) if a["status"] == "proved"), None)
    best = ({"code": result["code"], "proof": result["proof"], "backend": result["backend"],
             "compile_ms": winner["time_ms"] if winner else None} if ok else None)
    return {"ok": ok, "status": result["status"], "best": best, "attempts": result["attempts"],
            "diagnosis": None if ok else result.get("explanation"), "result": result}


__all__ = ["is_available", "prove_requirement"]
