"""Story: run the certainly bridge as a service and prove through it with `scillm.completion`
(SCILLM_CERTAINLY_HTTP_ONLY=1 and CERTAINLY_BRIDGE_BASE point the provider at the bridge)."""

from __future__ import annotations

import os

import support

support.need_coq()

import scillm  # noqa: E402

ITEMS = [{"id": "add_zero", "requirement_text": "forall n : nat, n + 0 = n"},
         {"id": "comm", "requirement_text": "forall a b : nat, a + b = b + a"}]

with support.bridge_process("certainly") as base:
    os.environ["SCILLM_CERTAINLY_HTTP_ONLY"] = "1"
    os.environ["CERTAINLY_BRIDGE_BASE"] = base
    response = scillm.completion(model="certainly", custom_llm_provider="certainly",
                                 messages=[{"role": "user", "content": "prove"}], items=ITEMS)
payload = response.additional_kwargs["certainly"]
print(response.choices[0].message.content, "| _direct_mode =", payload["_direct_mode"])
for r in payload["results"]:
    print(f"  {r['item_id']}: {r['status']}  proof: {r['proof']}")
if payload["_direct_mode"] is not False or [r["status"] for r in payload["results"]] != ["proved", "proved"]:
    support.fail("expected both items proved over HTTP")
print("OK: both items proved by the bridge over HTTP through the certainly provider")
