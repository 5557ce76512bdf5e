"""Story: run the certainly bridge as a service and prove through the HTTP fallback."""

from __future__ import annotations

import anyio
import support

support.need_coq()

from scillm.llms import fallback  # noqa: E402

ITEMS = [{"id": "add_zero", "requirement_text": "forall n : nat, n + 0 = n"},
         {"id": "comm", "requirement_text": "forall a b : nat, a + b = b + a"}]

with support.bridge_process("certainly") as base:
    payload = anyio.run(lambda: fallback.arun("certainly", ITEMS, {}, mode="http", api_base=base))
print(payload["summary"], "| _direct_mode =", payload["_direct_mode"])
for r in payload["results"]:
    print(f"  {r['item_id']}: {r['status']}  proof: {r['proof']}")
if payload["_direct_mode"] is not False or [r["status"] for r in payload["results"]] != ["proved", "proved"]:
    support.fail("expected both items proved over HTTP")
print("OK: both items proved by the bridge over HTTP")
