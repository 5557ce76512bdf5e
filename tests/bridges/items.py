"""Small real work items for bridge tests: Coq theorems and Python variants."""

from __future__ import annotations

from typing import Any

COQ_ITEMS: list[Any] = [
    {"id": "add0", "requirement_text": "forall n : nat, n + 0 = n"},
    {"id": "false", "requirement_text": "1 = 2"},
    {"id": "comm", "requirement_text": "forall a b : nat, a + b = b + a"},
    42,
]

# fields of a certainly result that do not depend on timing or cache state
STABLE_FIELDS = ("index", "item_id", "status", "backend", "proof", "code", "statement", "explanation")


def stable(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: r.get(k) for k in STABLE_FIELDS} for r in results]


def code_item(name: str, body: str, arg: int = 1, expected: int = 2) -> dict[str, Any]:
    return {"task_id": name, "context": {"code_variants": {"v": f"def solve(x):\n{body}\n"},
                                         "cases": [{"input": arg, "expected": expected}]}}


def sleepy_item(name: str, seconds: float) -> dict[str, Any]:
    body = f"    import time\n    time.sleep({seconds})\n    return x + 1"
    return code_item(name, body)


FAST = code_item("fast", "    return x + 1")
CODE_ARGS: dict[str, Any] = {"repeats": 1, "strategy_config": {"timeout_ms": 20000}}
