"""Story: the `lean4` provider alias. With Lean it proves a Lean statement; without Lean it
says so and exercises the alias with the Coq backend (`backend="coq"`), which the alias accepts."""

from __future__ import annotations

import shutil

import support

import scillm

lean_ready = shutil.which("lean") is not None and shutil.which("lake") is not None
if lean_ready:
    item, backend = {"id": "lean_add", "requirement_text": "∀ n : Nat, n + 0 = n"}, "lean"
else:
    support.need_coq()
    print("Lean 4 is not installed here; running the lean4 alias with backend='coq' instead")
    item, backend = {"id": "coq_add", "requirement_text": "forall n : nat, n + 0 = n"}, "coq"

response = scillm.completion(model="lean4", custom_llm_provider="lean4", backend=backend,
                             messages=[{"role": "user", "content": "prove"}], items=[item])
payload = response.additional_kwargs["lean4"]
result = payload["results"][0]
print(response.choices[0].message.content)
print(f"  {result['item_id']}: {result['status']} via backend {result['backend']}")
if result["status"] != "proved" or result["backend"] != backend:
    support.fail(f"lean4 alias did not prove with backend {backend}")
print(f"OK: lean4 alias answered (payload mirrored under 'lean4'), proved with {backend}")
