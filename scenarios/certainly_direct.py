"""Story: prove theorems in this process with `scillm.completion(model="certainly")` and real Coq."""

from __future__ import annotations

import support

support.need_coq()

import scillm  # noqa: E402

ITEMS = [{"id": "add_zero", "requirement_text": "forall n : nat, n + 0 = n"},
         {"id": "false_claim", "requirement_text": "1 = 2"}]

response = scillm.completion(model="certainly", custom_llm_provider="certainly",
                             messages=[{"role": "user", "content": "prove these"}], items=ITEMS)
payload = response.additional_kwargs["certainly"]
print(response.choices[0].message.content)
for r in payload["results"]:
    print(f"  {r['item_id']}: {r['status']}" + (f"  proof: {r['proof']}" if r["proof"] else ""))
if [r["status"] for r in payload["results"]] != ["proved", "failed"]:
    support.fail("expected add_zero proved and false_claim failed")
print("OK: direct mode proved the true theorem and refused the false one")
