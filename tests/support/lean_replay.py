"""A stand-in Lean REPL process that answers with replies real Lean printed.

Run as a real subprocess: `python tests/support/lean_replay.py PLAN.json`.
It reads blank-line-separated JSON commands from stdin exactly like
leanprover-community/repl and prints recorded replies from
`../shared/fixtures/lean-repl/*.expected.out`, verbatim, each followed by a
blank line. Nothing is made up: every byte it prints comes from a transcript.

PLAN.json::

    {"fixtures": DIR, "log": FILE or null, "strict": false,
     "sessions": [["import_lean#0", "file_env#1", "hang"], ...]}

Each process claims the next session script (atomically, via `PLAN.claim.N`
files; the last script is reused once they run out). Script steps:
`NAME#K` prints reply K of NAME, `NAME` prints all of NAME's replies, `hang`
reads the command and never answers, `exit` reads it and exits with code 3.
A command naming an `env` that no printed reply produced is answered with the
recorded `unknown_environment` reply, like the real REPL. With `strict`, each
command must equal the recorded command of the same NAME#K (else exit 4).
Every command received is appended to `log` as one JSON line.

Under the prover sandbox the stand-in sees only what `replay_mounts` adds:
this directory, the fixtures and the interpreter's prefix read-only, and the plan's directory (plan,
claims, log) as the one writable journal.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scillm.integrations.certainly.checkers.lean_sandbox import ExtraMounts


def _blocks(text: str) -> list[str]:
    return [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]


def _claim(plan_path: Path, count: int) -> int:
    for index in range(count):
        try:
            fd = os.open(f"{plan_path}.claim.{index}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            continue
        os.close(fd)
        return index
    return count - 1


def _steps(script: list[str], fixtures: Path) -> list[tuple[str, str | None, Any]]:
    steps: list[tuple[str, str | None, Any]] = []
    for item in script:
        if item in ("hang", "exit"):
            steps.append((item, None, None))
            continue
        name, _, k = item.partition("#")
        replies = _blocks((fixtures / f"{name}.expected.out").read_text(encoding="utf-8"))
        in_path = fixtures / f"{name}.in"
        commands = _blocks(in_path.read_text(encoding="utf-8")) if in_path.exists() else []
        indexes = [int(k)] if k else list(range(len(replies)))
        for i in indexes:
            expected = json.loads(commands[i], strict=False) if i < len(commands) else None
            steps.append(("reply", replies[i], expected))
    return steps


def _read_command(stream: Any) -> str | None:
    lines: list[str] = []
    for line in stream:
        if line.strip():
            lines.append(line)
        elif lines:
            return "".join(lines)
    return "".join(lines) if lines else None


FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "lean-repl"


def replay_argv(workdir: Path, sessions: list[list[str]], *, strict: bool = False) -> tuple[list[str], Path]:
    """(argv that starts this stand-in, path of its command log) for a fresh plan in `workdir`."""
    workdir.mkdir(parents=True, exist_ok=True)
    plan = workdir / f"plan-{len(list(workdir.glob('plan-*.json')))}.json"
    log = workdir / f"{plan.stem}.log"
    plan.write_text(json.dumps({"fixtures": str(FIXTURES), "log": str(log), "strict": strict,
                                "sessions": sessions}), encoding="utf-8")
    python = os.path.realpath(sys.executable)
    return [python, str(Path(__file__).resolve()), str(plan)], log


def replay_mounts(workdir: Path) -> ExtraMounts:
    """What a sandboxed stand-in started by `replay_argv(workdir, ...)` must see besides the project."""
    from scillm.integrations.certainly.checkers.lean_sandbox import ExtraMounts  # noqa: PLC0415  the stand-in itself runs stdlib-only inside the sandbox

    python_prefix = os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))
    readonly = [str(Path(__file__).resolve().parent), str(FIXTURES)]
    if not python_prefix.startswith("/usr"):
        readonly.append(python_prefix)
    return ExtraMounts(readonly=tuple(readonly), journal=str(workdir.resolve()))


def logged_commands(log: Path) -> list[dict[str, Any]]:
    """Every command the stand-in processes received, in order."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str]) -> int:
    plan_path = Path(argv[1])
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    fixtures = Path(plan["fixtures"])
    sessions: list[list[str]] = plan["sessions"]
    steps = _steps(sessions[_claim(plan_path, len(sessions))], fixtures)
    unknown_env = _blocks((fixtures / "unknown_environment.expected.out").read_text(encoding="utf-8"))[0]
    issued: set[int] = set()
    log = plan.get("log")
    while (raw := _read_command(sys.stdin)) is not None:
        command = json.loads(raw, strict=False)
        if log:
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(command, ensure_ascii=False) + "\n")
        if isinstance(command.get("env"), int) and command["env"] not in issued:
            sys.stdout.write(unknown_env + "\n\n")
            sys.stdout.flush()
            continue
        if not steps:
            sys.stderr.write("lean_replay: no recorded reply left\n")
            return 2
        kind, reply, expected = steps.pop(0)
        if kind == "hang":
            while True:
                time.sleep(60)
        if kind == "exit":
            sys.stderr.write("lean_replay: scripted crash\n")
            return 3
        if plan.get("strict") and expected is not None and command != expected:
            sys.stderr.write(f"lean_replay: expected {expected!r}, got {command!r}\n")
            return 4
        assert reply is not None
        parsed = json.loads(reply)
        if isinstance(parsed.get("env"), int):
            issued.add(parsed["env"])
        sys.stdout.write(reply + "\n\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
