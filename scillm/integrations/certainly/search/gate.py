"""One gate per event loop that every prover check and search step passes, so work in flight never exceeds the cores."""

from __future__ import annotations

import asyncio
import os
import weakref

_GATES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def core_count() -> int:
    """The machine's cores: the gate bounds the CPU work of every engine in the loop, whatever its pool size."""
    return max(1, os.cpu_count() or 1)


def core_gate() -> asyncio.Semaphore:
    """The running loop's gate (created on first use with `core_count()` slots)."""
    loop = asyncio.get_running_loop()
    gate = _GATES.get(loop)
    if gate is None:
        gate = asyncio.Semaphore(core_count())
        _GATES[loop] = gate
    return gate


__all__ = ["core_count", "core_gate"]
