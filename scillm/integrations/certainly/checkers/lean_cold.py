"""The cold Lean path: one `lake env lean --json` run on a temporary file per check.

Every run is a sandboxed prover (`lean_sandbox`). Used when no REPL can be started (or with `mode="cold"`), and as the slow
baseline the warm pool is measured against; `run_module` compiles one
module of the independent verdict (`lean_verdict`). `lean --json` prints one
`{severity, pos, endPos, data, ...}` object per line, the same shape as REPL
messages.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Literal

from scillm.integrations.certainly.checkers import prover_sandbox as sandbox
from scillm.integrations.certainly.checkers.faults import ProverSandboxUnavailableError
from scillm.integrations.certainly.checkers.lean_repl import ReplMessage
from scillm.integrations.certainly.checkers.lean_sandbox import lean_launch
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


def _spawn(config: LeanConfig, argv: list[str], timeout_s: float, scratch: str,
           extra_env: dict[str, str] | None = None) -> tuple[str, bytes, bytes, int] | ColdOutcome:
    """Run one Lean process in the prover sandbox (scratch writable, project read-only), tracked for cancellation.

    (argv0, stdout, stderr, rc), or a finished outcome when it could not run or was stopped.
    """

    if shutil.which(argv[0]) is None:
        return ColdOutcome("env_unavailable", f"cannot run {argv[0]!r}: not found")
    try:
        cmd = lean_launch(config, argv, scratch, extra_env)
    except ProverSandboxUnavailableError as exc:
        return ColdOutcome("env_unavailable", str(exc))
    try:
        run = sandbox.run(cmd, timeout_s=timeout_s, mem_bytes=config.memory_mb << 20 if config.memory_mb else None)
    except OSError as exc:
        return ColdOutcome("env_unavailable", f"cannot run {argv[0]!r}: {exc}")
    if run.timed_out:
        return ColdOutcome("timeout", f"lean did not finish within {timeout_s:.3g} s; killed")
    if run.rc is None:
        return ColdOutcome("crashed", f"lean was stopped: {run.err[-300:]}")
    return argv[0], run.out.encode("utf-8"), run.err.encode("utf-8"), run.rc


def _outcome(spawned: tuple[str, bytes, bytes, int] | ColdOutcome) -> tuple[ColdOutcome, list[ReplMessage]]:
    if isinstance(spawned, ColdOutcome):
        return spawned, []
    _, out, err, returncode = spawned
    messages, other = parse_json_lines(out.decode("utf-8", "replace"))
    stderr = err.decode("utf-8", "replace").strip()
    if returncode < 0:
        return ColdOutcome("crashed", f"lean was killed by signal {-returncode}: {stderr[-500:]}"), messages
    if not messages and returncode != 0:
        return ColdOutcome("crashed", f"lean exited {returncode} without messages: {(stderr or other)[-500:]}"), []
    return ColdOutcome("ran", messages=messages), messages


def run_cold(config: LeanConfig, code: str, confirm_cmd: str | None, timeout_s: float) -> ColdOutcome:
    """Write `code` (plus `confirm_cmd`) to a temporary file and run the cold checker on it."""
    text = code if confirm_cmd is None else f"{code}\n{confirm_cmd}"
    code_lines = code.count("\n") + 1
    import_lines = sum(1 for line in code.splitlines() if line.strip().startswith("import "))
    with tempfile.TemporaryDirectory(prefix="scillm-lean-") as tmp:
        path = os.path.join(tmp, "Check.lean")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        outcome, messages = _outcome(_spawn(config, [*config.lean_cmd, path], timeout_s, tmp))
    if outcome.status != "ran":
        return outcome
    import_errors = [m for m in messages if m.severity == "error" and m.pos.line <= import_lines]
    if import_errors:
        return ColdOutcome("env_unavailable", f"header did not load: {import_errors[0].data}")
    return ColdOutcome(
        "ran",
        messages=[m for m in messages if m.pos.line <= code_lines],
        confirm_messages=[m for m in messages if m.pos.line > code_lines],
    )


def run_module(config: LeanConfig, root: str, module: str, text: str, timeout_s: float, *,
               olean: bool) -> ColdOutcome:
    """Elaborate `text` as module `module` under `root` (`-R root`), writing its `.olean` when asked.

    `root` is put first on LEAN_PATH (Lake adds its own paths after it), so a
    later module under `root` can `import` this one.
    """
    rel = module.replace(".", os.sep)
    path = os.path.join(root, rel + ".lean")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")
    argv = [*config.lean_cmd, "-R", root]
    if olean:
        argv += ["-o", os.path.join(root, rel + ".olean")]
    outcome, _ = _outcome(_spawn(config, [*argv, path], timeout_s, root, {"LEAN_PATH": root}))
    return outcome


def run_replay(config: LeanConfig, root: str, module: str, timeout_s: float) -> ColdOutcome:
    """Re-check every declaration of a compiled module with the kernel (`replay_cmd`, e.g. lean4checker)."""
    assert config.replay_cmd is not None
    spawned = _spawn(config, [*config.replay_cmd, module], timeout_s, root, {"LEAN_PATH": root})
    if isinstance(spawned, ColdOutcome):
        return spawned
    _, out, err, returncode = spawned
    detail = (err or out).decode("utf-8", "replace").strip()[-500:]
    return ColdOutcome("ran" if returncode == 0 else "crashed", detail)


__all__ = ["ColdOutcome", "parse_json_lines", "run_cold", "run_module", "run_replay"]
