"""The cold Lean path: one `lake env lean --json` run on a temporary file per check.

Used when no REPL can be started (or with `mode="cold"`), and as the slow
baseline the warm pool is measured against. `lean --json` prints one
`{severity, pos, endPos, data, ...}` object per line, the same shape as REPL
messages. The confirmation queries are appended after the theorem; their
messages are told apart by line number.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Literal

from scillm.integrations.certainly.checkers.lean_repl import ReplMessage
from scillm.integrations.certainly.checkers.lean_session import LeanConfig

ColdStatus = Literal["ran", "timeout", "crashed", "env_unavailable"]


@dataclass
class ColdOutcome:
    """What one cold run printed; `status` is `ran` when Lean's messages can be judged."""

    status: ColdStatus
    detail: str = ""
    messages: list[ReplMessage] = field(default_factory=list)
    confirm_messages: list[ReplMessage] = field(default_factory=list)


def parse_json_lines(text: str) -> tuple[list[ReplMessage], str]:
    """(messages, other output) from `lean --json` stdout."""
    messages, other = [], []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                messages.append(ReplMessage.model_validate(json.loads(line)))
                continue
            except (json.JSONDecodeError, ValueError):
                pass
        if line.strip():
            other.append(line)
    return messages, "\n".join(other)


def _limit(memory_mb: int | None) -> None:
    if memory_mb:
        import resource

        limit = memory_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_cold(config: LeanConfig, code: str, confirm_cmd: str | None, timeout_s: float) -> ColdOutcome:
    """Write `code` (plus `confirm_cmd`) to a temporary file and run the cold checker on it."""
    text = code if confirm_cmd is None else f"{code}\n{confirm_cmd}"
    code_lines = code.count("\n") + 1
    import_lines = sum(1 for line in code.splitlines() if line.strip().startswith("import "))
    with tempfile.TemporaryDirectory(prefix="scillm-lean-") as tmp:
        path = os.path.join(tmp, "Check.lean")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        try:
            proc = subprocess.Popen(
                [*config.lean_cmd, path], cwd=str(config.project) if config.project else None,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                preexec_fn=lambda: _limit(config.memory_mb),
            )
        except OSError as exc:
            return ColdOutcome("env_unavailable", f"cannot run {config.lean_cmd[0]!r}: {exc}")
        try:
            out, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return ColdOutcome("timeout", f"lean did not finish within {timeout_s:.3g} s; killed")
    messages, other = parse_json_lines(out.decode("utf-8", "replace"))
    stderr = err.decode("utf-8", "replace").strip()
    if proc.returncode < 0:
        return ColdOutcome("crashed", f"lean was killed by signal {-proc.returncode}: {stderr[-500:]}")
    if not messages and proc.returncode != 0:
        return ColdOutcome("crashed", f"lean exited {proc.returncode} without messages: {(stderr or other)[-500:]}")
    import_errors = [m for m in messages if m.severity == "error" and m.pos.line <= import_lines]
    if import_errors:
        return ColdOutcome("env_unavailable", f"header did not load: {import_errors[0].data}")
    return ColdOutcome(
        "ran",
        messages=[m for m in messages if m.pos.line <= code_lines],
        confirm_messages=[m for m in messages if m.pos.line > code_lines],
    )


__all__ = ["ColdOutcome", "parse_json_lines", "run_cold"]
