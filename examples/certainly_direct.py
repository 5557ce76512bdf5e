"""Prove a few theorems in process with the offline portfolio and print what came back."""

from __future__ import annotations

import scillm

ITEMS = [
    {"id": "add_comm", "requirement_text": "forall n m : nat, n + m = m + n"},
    {"id": "and_comm", "requirement_text": "forall P Q : Prop, P /\\ Q -> Q /\\ P"},
    {"id": "false_claim", "requirement_text": "forall n : nat, n * 0 = 1"},
]

if __name__ == "__main__":
    response = scillm.certainly_prove(items=ITEMS, backend="coq", options={"max_rounds": 2})
    payload = response.additional_kwargs["certainly"]
    print(response.choices[0].message.content)
    for result in payload["results"]:
        print(f"{result['item_id']:12} {result['status']:8} {result['proof'] or result['explanation']}")
    print("run", payload["run_manifest"]["run_id"], "prover", payload["run_manifest"]["backends"])
