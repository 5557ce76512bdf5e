"""`async with engine:` for every engine object: start on entry, close on exit, whatever the body raised."""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

_Engine = TypeVar("_Engine", bound="AsyncEngine")


class AsyncEngine:
    """The lifecycle every engine shares; an engine overrides `start` and `aclose`."""

    async def start(self) -> None:
        """Acquire what runs need (idempotent)."""

    async def aclose(self) -> None:
        """Release every warm resource (idempotent)."""

    async def __aenter__(self: _Engine) -> _Engine:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()


__all__ = ["AsyncEngine"]
