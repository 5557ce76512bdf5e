"""One Lean REPL process and its JSON framing (leanprover-community/repl).

Commands are JSON objects written to stdin and ended by a blank line;
replies are (possibly pretty-printed) JSON objects ended by a blank line
(JSON strings escape newlines, so a blank line never occurs inside one).
This layer knows nothing about proofs. The process itself is the Coq
backend's `ProverProcess` (own process group, RLIMIT_AS, stdout and stderr
merged, deadline kills the group); text before a reply that is not JSON
(stray stderr) is kept as `noise`. Faults surface as `ReplFaultError`/`ReplTimeoutError`
so the session above can discard the process. Blocking: call it from
`asyncio.to_thread`, one request at a time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from scillm.integrations.certainly.checkers.faults import (
    OutputTooLargeError,
    ProcessDiedError,
    ProcessTimeoutError,
    ReplFaultError,
    ReplTimeoutError,
)
from scillm.integrations.certainly.checkers.session import ProverProcess


class ReplPos(BaseModel):
    """A 1-based line and 0-based column, as Lean reports them."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    line: int
    column: int


class ReplMessage(BaseModel):
    """One Lean message: `{severity, pos, endPos, data}`."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    severity: str
    """`error`, `warning` or `info`."""
    pos: ReplPos
    """Start of the range, in the command's own coordinates."""
    end_pos: ReplPos | None = Field(None, alias="endPos")
    """End of the range, when Lean gives one."""
    data: str
    """The message text."""


class ReplSorry(BaseModel):
    """One `sorry` the elaborator met, with the goal it stood for."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    pos: ReplPos | None = None
    """Where the `sorry` is (absent for sorries reported from tactic mode)."""
    end_pos: ReplPos | None = Field(None, alias="endPos")
    """Its end."""
    goal: str = ""
    """The goal it closed."""
    proof_state: int | None = Field(None, alias="proofState")
    """Proof-state id for tactic mode, when the REPL made one."""


class ReplReply(BaseModel):
    """One reply: a command result (`env`, `messages`, `sorries`) or an error (`message`)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    env: int | None = None
    """Id of the environment after the command; pass it as `env` to build on it."""
    messages: list[ReplMessage] = Field(default_factory=list)
    """Diagnostics of the command."""
    sorries: list[ReplSorry] = Field(default_factory=list)
    """Every `sorry` in the command."""
    message: str | None = None
    """Set on a REPL-level error such as `Unknown environment.`; no env comes with it."""
    noise: str = ""
    """Non-JSON output (stray stderr) printed before the reply; not part of the protocol."""

    @property
    def is_error(self) -> bool:
        return self.message is not None and self.env is None


def parse_replies(text: str) -> list[ReplReply]:
    """Split a blank-line-separated stream of JSON objects (a transcript) into replies."""
    replies: list[ReplReply] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if block.strip():
            replies.append(ReplReply.model_validate(json.loads(block)))
    return replies


def _reply_bounds(buf: bytes | bytearray) -> tuple[int, int] | None:
    """(start, end) of the first complete reply: a line opening with `{` up to the next blank line."""
    start = 0 if buf[:1] == b"{" else buf.find(b"\n{") + 1
    if start == 0 and buf[:1] != b"{":
        return None
    end = buf.find(b"\n\n", start)
    return None if end < 0 else (start, end)


class LeanRepl:
    """A running REPL process; `send` one command at a time."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: str | Path | None = None,
        memory_mb: int | None = None,
        env: Mapping[str, str] | None = None,
        max_output_mb: int = 64,
    ) -> None:
        if not argv:
            raise ValueError("the REPL command is empty")
        self.argv = list(argv)
        self.commands_sent = 0
        self._proc = ProverProcess(
            self.argv,
            cwd=str(cwd) if cwd is not None else None,
            mem_bytes=memory_mb * 1024 * 1024 if memory_mb else None,
            env=dict(env) if env is not None else None,
            max_output_bytes=max_output_mb << 20,
        )
        self._started = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid

    def alive(self) -> bool:
        return self._started and self._proc.alive()

    def start(self) -> None:
        """Spawn the process in its own process group under RLIMIT_AS."""
        if self._started:
            raise ReplFaultError("this REPL was already started")
        try:
            self._proc.spawn()
        except OSError as exc:
            raise ReplFaultError(f"cannot start {self.argv[0]!r}: {exc}") from exc
        self._started = True

    def send(self, payload: Mapping[str, Any], timeout_s: float) -> ReplReply:
        """Write one command and read its reply; past `timeout_s` the process group is killed."""
        if not self.alive():
            raise ReplFaultError("the REPL is not running")
        data = (json.dumps(dict(payload), ensure_ascii=False) + "\n\n").encode("utf-8")
        deadline = time.monotonic() + timeout_s
        try:
            self._proc.write(data)
            self.commands_sent += 1
            buf = self._proc.read_until(lambda b: _reply_bounds(b) is not None, deadline)
        except ProcessTimeoutError as exc:
            raise ReplTimeoutError(f"no reply within {timeout_s:.3g} s; REPL killed") from exc
        except (ProcessDiedError, OutputTooLargeError) as exc:
            raise ReplFaultError(str(exc)) from exc
        bounds = _reply_bounds(buf)
        assert bounds is not None
        start, end = bounds
        text = buf[start:end].decode("utf-8", "replace")
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            self.close()
            raise ReplFaultError(f"the REPL printed something that is not JSON: {text[:200]!r}") from exc
        if not isinstance(raw, dict):
            self.close()
            raise ReplFaultError(f"the REPL reply is not an object: {text[:200]!r}")
        reply = ReplReply.model_validate(raw)
        noise = buf[:start].decode("utf-8", "replace").strip()
        return reply.model_copy(update={"noise": noise}) if noise else reply

    def rss_bytes(self) -> int | None:
        """Resident memory of the process, from /proc (None where unreadable)."""
        return self._proc.rss_bytes()

    def close(self) -> None:
        """Kill the process group; safe to call twice."""
        self._proc.kill()


__all__ = [
    "LeanRepl",
    "ReplMessage",
    "ReplPos",
    "ReplReply",
    "ReplSorry",
    "parse_replies",
]
