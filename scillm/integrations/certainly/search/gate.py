"""One gate per event loop that every prover check and search step passes, so work in flight never exceeds the cores."""

from __future__ import annotations

import asyncio
import os
import weakref

from scillm.settings import pool_size

_GATES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def core_count() -> int:
    """`CERTAINLY_POOL_SIZE` when set (a bad value is a ConfigError), else the number of cores."""
    return pool_size() or max(1, os.cpu_count() or 1)


def core_gate() -> asyncio.Semaphore:
    """The running loop's gate (created on first use with `core_count()` slots)."""
    loop = asyncio.get_running_loop()
    gate = _GATES.get(loop)
    if gate is None:
        gate = asyncio.Semaphore(core_count())
        _GATES[loop] = gate
    return gate


__all__ = ["core_count", "core_gate"]
