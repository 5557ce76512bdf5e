"""An LLM proposes and repairs proofs; Coq checks them. Usage: certainly_llm.py MODEL [API_BASE]."""

from __future__ import annotations

import sys

import scillm

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python examples/certainly_llm.py MODEL [API_BASE]  (e.g. openai/gpt-4o-mini)")
    model = sys.argv[1]
    api_base = sys.argv[2] if len(sys.argv) > 2 else None
    response = scillm.certainly_prove(
        items=["Prove that for every natural number n, n + 0 = n.",
               {"requirement_text": "forall n : nat, 2 * n = n + n"}],
        model=model, api_base=api_base, backend="coq",
        options={"max_rounds": 3, "candidates_per_round": 2},
    )
    for result in response.additional_kwargs["certainly"]["results"]:
        print(result["item_id"], result["status"], result["proof"] or result["explanation"])
