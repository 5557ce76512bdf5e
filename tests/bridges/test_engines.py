"""ModuleEngine passes the engine's as-completed iterator through without leaking it."""

from __future__ import annotations

import types
from collections.abc import AsyncIterator
from typing import Any

import anyio

from scillm.bridges.engines import ModuleEngine


def test_stopping_early_closes_the_engine_iterator_at_once() -> None:
    closed: list[str] = []

    async def arun_items_iter(items: list[Any]) -> AsyncIterator[tuple[int, Any]]:
        try:
            for index, item in enumerate(items):
                yield index, {"index": index, "item": item}
        finally:
            closed.append("closed")

    async def arun_items(items: list[Any]) -> dict[str, Any]:
        return {}

    module = types.SimpleNamespace(arun_items=arun_items, arun_items_iter=arun_items_iter)
    engine = ModuleEngine("certainly", module)

    async def scenario() -> None:
        stream = engine.arun_items_iter([1, 2, 3], {})
        first = await stream.__anext__()  # type: ignore[attr-defined]
        assert first[0] == 0
        await stream.aclose()  # type: ignore[attr-defined]
        assert closed == ["closed"]

    anyio.run(scenario)
