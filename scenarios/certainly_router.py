"""Story: a LiteLLM Router with a `certainly/coq` deployment, called like any other model."""

from __future__ import annotations

import support

support.need_coq()

import scillm  # noqa: E402

router = scillm.Router(model_list=[{"model_name": "prover", "litellm_params": {"model": "certainly/coq"}}])
response = router.completion(model="prover", messages=[{"role": "user", "content": "prove"}],
                             items=[{"id": "mul_one", "requirement_text": "forall n : nat, n * 1 = n"}])
result = response.additional_kwargs["certainly"]["results"][0]
print(response.choices[0].message.content)
print(f"  {result['item_id']}: {result['status']} via {result['backend']}  proof: {result['proof']}")
if result["status"] != "proved":
    support.fail("the Router deployment did not prove n * 1 = n")
print("OK: Router dispatched to certainly/coq and got a checked proof")
