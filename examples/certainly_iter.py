"""Results as each item finishes, with `certainly_prove_iter`."""

from __future__ import annotations

import asyncio

import scillm

ITEMS = [f"forall n : nat, n + {k} = {k} + n" for k in range(6)]


async def main() -> None:
    async for event in scillm.certainly_prove_iter(ITEMS, concurrency=2, backend="coq"):
        print(event["index"], event["status"], event["error"] or "")


if __name__ == "__main__":
    asyncio.run(main())
