"""Story: rank code variants in this process with `scillm.completion(model="codeworld")` and a real sandbox."""

from __future__ import annotations

import support

support.need_sandbox()

import scillm  # noqa: E402

ITEM = {"task_id": "double", "task": "return twice the input",
        "context": {"code_variants": {"mul": "def solve(x):\n    return x * 2\n",
                                      "add": "def solve(x):\n    return x + x\n",
                                      "wrong": "def solve(x):\n    return x + 2\n"},
                    "cases": [{"input": 3, "expected": 6}, {"input": 10, "expected": 20}]}}

response = scillm.completion(model="codeworld", custom_llm_provider="codeworld",
                             messages=[{"role": "user", "content": "rank"}], items=[ITEM], repeats=1)
result = response.additional_kwargs["codeworld"]["results"][0]
print(response.choices[0].message.content)
for row in result["ranking"]:
    print(f"  {row['variant_id']}: passed {row['cases_passed']}/{row['cases_run']} aggregate {row['aggregate']:.3f}")
if result["status"] != "ok" or result["best_variant"] == "wrong":
    support.fail("expected a correct variant to win")
print("OK: sandboxed evaluation ranked a correct variant first")
