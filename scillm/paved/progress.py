"""A tqdm progress bar over a batch iterator: the iterator is the progress source."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from tqdm import tqdm


async def with_progress(results: AsyncIterator[dict[str, Any]], total: int, *, desc: str = "requests",
                        disable: bool = False) -> AsyncIterator[dict[str, Any]]:
    """Yield each result unchanged while a bar counts done/ok/failed; closing this closes `results`."""

    ok = failed = 0
    bar = tqdm(total=total, desc=desc, unit="req", disable=disable)
    try:
        async for res in results:
            ok, failed = (ok + 1, failed) if res.get("ok") else (ok, failed + 1)
            bar.set_postfix(ok=ok, failed=failed, refresh=False)
            bar.update(1)
            yield res
    finally:
        bar.close()
        aclose = getattr(results, "aclose", None)
        if aclose is not None:
            await aclose()


__all__ = ["with_progress"]
