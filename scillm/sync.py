"""Run a coroutine from sync code, also from a thread that already runs an event loop.

Sync entry points (`completion` for scillm providers, `sanity_preflight`,
`list_models_openai_like`) are written async and wrapped here once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coro)`, or the same in a worker thread when this thread's loop is running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="scillm-sync") as pool:
        return pool.submit(asyncio.run, coro).result()


__all__ = ["run_sync"]
