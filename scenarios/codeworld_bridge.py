"""Story: run the codeworld bridge as a service and evaluate variants through the HTTP fallback."""

from __future__ import annotations

import anyio
import support

support.need_sandbox()

from scillm.llms import fallback  # noqa: E402

ITEMS = [{"task_id": "inc", "context": {"code_variants": {"ok": "def solve(x):\n    return x + 1\n"},
                                        "cases": [{"input": 1, "expected": 2}]}},
         "not an item"]

with support.bridge_process("codeworld") as base:
    payload = anyio.run(lambda: fallback.arun("codeworld", ITEMS, {"repeats": 1}, mode="http", api_base=base))
print(payload["summary"], "| _direct_mode =", payload["_direct_mode"])
for r in payload["results"]:
    print(f"  {r['item_id']}: {r['status']} best={r.get('best_variant')} error={r.get('error')}")
if [r["status"] for r in payload["results"]] != ["ok", "error"] or payload["_direct_mode"] is not False:
    support.fail("expected the good item evaluated and the bad item reported as its own error")
print("OK: the bridge evaluated the good item and reported the bad one on its own")
