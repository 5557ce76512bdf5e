"""Streaming for scillm's providers: one chunk per finished item, then one chunk with the summary.

Each item chunk's text is that item's result as one JSON line, sent as soon
as the item finishes (as-completed, not in input order); the last chunk is
one JSON line `{"summary", "statistics"}` with `finish_reason="stop"` and the
usage. `litellm.stream_chunk_builder(chunks)` therefore rebuilds a response
whose content is JSON Lines. Closing the stream early (`stream.close()`,
`await stream.aclose()`, leaving a `with` block) cancels the unfinished items.
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from typing import Any

from litellm.types.utils import GenericStreamingChunk

from scillm.llms import usage as usage_mod

# (kind, value): ("item", result) per finished item, then ("done", payload)
Event = tuple[str, Any]


def item_chunk(result: object) -> GenericStreamingChunk:
    """The chunk for one finished item: its result as one JSON line."""
    return GenericStreamingChunk(text=json.dumps(result, default=str) + "\n", is_finished=False,
                                 finish_reason="", usage=None, index=0, tool_use=None)


def final_chunk(payload: dict[str, Any], tally: usage_mod.TokenTally | None) -> GenericStreamingChunk:
    """The last chunk: summary and statistics as one JSON line, the usage, `finish_reason="stop"`."""
    found = usage_mod.counters(payload)
    body = {"summary": payload.get("summary"), "statistics": payload.get("statistics")}
    usage = usage_mod.make_usage(tally, found)
    return GenericStreamingChunk(
        text=json.dumps(body, default=str) + "\n", is_finished=True, finish_reason="stop", index=0,
        tool_use=None,
        usage={"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
               "total_tokens": usage.total_tokens},
        provider_specific_fields={"scillm": {**found, "llm_calls": tally.calls if tally else 0}},
    )


async def chunks(events: AsyncIterator[Event]) -> AsyncGenerator[GenericStreamingChunk, None]:
    """Provider events to LiteLLM chunks; closing this closes `events` (which cancels the items)."""
    with usage_mod.tracking() as tally:
        try:
            async for kind, value in events:
                yield item_chunk(value) if kind == "item" else final_chunk(value, tally)
        finally:
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()


_END = object()


def iterate_in_thread(make: Callable[[], AsyncIterator[Any]]) -> Iterator[Any]:
    """A sync iterator over an async one, driven by its own event loop in a worker thread.

    Closing the returned generator (or dropping it) cancels the async
    iterator and waits for its cleanup, so unfinished items stop.
    """
    out: queue.Queue[Any] = queue.Queue(maxsize=1)
    loop = asyncio.new_event_loop()
    task_box: list[asyncio.Task[None]] = []

    async def pump() -> None:
        agen = make()
        try:
            async for value in agen:
                await asyncio.to_thread(out.put, (True, value))
        except BaseException as exc:  # the consumer re-raises it
            if not isinstance(exc, asyncio.CancelledError):
                await asyncio.to_thread(out.put, (False, exc))
            raise
        finally:
            close = getattr(agen, "aclose", None)
            if close is not None:
                await close()
        await asyncio.to_thread(out.put, (True, _END))

    def run() -> None:
        asyncio.set_event_loop(loop)
        task_box.append(loop.create_task(pump()))
        try:
            loop.run_until_complete(task_box[0])
        except BaseException:  # noqa: BLE001  reported through the queue, or a cancellation asked for by the consumer
            pass
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=run, name="scillm-stream", daemon=True)
    thread.start()
    finished = False
    try:
        while True:
            ok, value = out.get()
            if ok and value is _END:
                finished = True
                return
            if not ok:
                finished = True
                raise value
            yield value
    finally:
        if not finished:
            if task_box and thread.is_alive():
                try:
                    loop.call_soon_threadsafe(task_box[0].cancel)
                except RuntimeError:  # the loop closed in between: nothing left to cancel
                    pass
            while thread.is_alive():  # let the pump finish a pending put, then exit
                try:
                    out.get_nowait()
                except queue.Empty:
                    thread.join(0.05)
        thread.join()


__all__ = ["Event", "chunks", "final_chunk", "item_chunk", "iterate_in_thread"]
