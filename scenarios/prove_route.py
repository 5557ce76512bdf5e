"""Story: a reference-service client posts one theorem to the certainly bridge's `POST /prove`
with the offline `dummy` backend and reads the checked file and the structured attempts."""

from __future__ import annotations

import httpx
import support

support.need_coq()

BODY = {"job_id": "story-1", "imports": ["Coq.Arith.Arith"], "extra_prelude": "", "decls": "",
        "theorem_name": "add_comm_story", "theorem_statement": "forall a b : nat, a + b = b + a",
        "budget": {"max_rounds": 2, "candidates_per_round": 8, "repairs_per_round": 1,
                   "timeout_ms_per_check": 5000, "max_total_checks": 24},
        "model": {"backend": "dummy", "model_name": None, "temperature": 0.0}}

with support.bridge_process("certainly") as base:
    reply = httpx.post(f"{base}/prove", json=BODY, timeout=180)
    hard = httpx.post(f"{base}/prove", json={**BODY, "theorem_statement": "forall n : nat, n + 1 = n"}, timeout=180)
body = reply.json()
print(f"ok={body['ok']} proof={body['final_proof'] and body['final_proof']['proof_block']!r} stats={body['stats']}")
print(f"hard: ok={hard.json()['ok']} attempts={len(hard.json()['attempts'])}")
if reply.status_code != 200 or not body["ok"] or "Theorem add_comm_story" not in body["final_proof"]["file"]:
    support.fail("expected the theorem proved with its checked file")
if hard.json()["ok"] or not hard.json()["attempts"]:
    support.fail("expected the false statement to fail with structured attempts")
print("OK: /prove proved the theorem offline and reported the failing one's attempts")
