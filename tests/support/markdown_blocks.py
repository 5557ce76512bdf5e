"""Fenced code blocks of Markdown files, and how to run them as a user would.

Used by the executed-documentation tests (`tests/test_docs.py`,
`tests/skills/`). A block may be preceded by an HTML comment such as
`<!-- needs: real-key -->` or `<!-- needs: lean -->`; those are the only
reasons a block may be skipped, and the skip says which.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.llm_server import LLMServer

ALLOWED_NEEDS = {
    "real-key": "needs a real remote LLM API key (the loopback test server cannot stand in)",
    "lean": "needs Lean 4 with a Lake REPL project (CERTAINLY_LEAN_PROJECT)",
}

_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
_NEEDS = re.compile(r"^<!--\s*needs:\s*(?P<what>[\w ,-]+?)\s*-->$")


@dataclass(frozen=True)
class CodeBlock:
    """One fenced block: where it is, its language, its text, and what it needs."""

    path: Path
    line: int
    lang: str
    code: str
    needs: frozenset[str]

    @property
    def id(self) -> str:
        return f"{self.path.name}:{self.line}"


def code_blocks(path: Path) -> list[CodeBlock]:
    """Every fenced block in `path`, in order (line numbers are 1-based fence lines)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[CodeBlock] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        fence, start = match.group("fence"), i
        prev = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        needs_match = _NEEDS.match(prev)
        needs = frozenset(
            w.strip() for w in needs_match.group("what").split(",") if w.strip()
        ) if needs_match else frozenset()
        i += 1
        body: list[str] = []
        while i < len(lines) and not lines[i].startswith(fence):
            body.append(lines[i])
            i += 1
        blocks.append(CodeBlock(path, start + 1, match.group("lang").lower(), "\n".join(body) + "\n", needs))
        i += 1
    return blocks


def skip_reason(block: CodeBlock) -> str | None:
    """Why this block cannot run here, or None when it must run."""
    unknown = block.needs - set(ALLOWED_NEEDS)
    if unknown:
        raise ValueError(f"{block.id}: unknown needs marker(s) {sorted(unknown)}; allowed: {sorted(ALLOWED_NEEDS)}")
    if "real-key" in block.needs:
        return f"{block.id} is marked `needs: real-key`: {ALLOWED_NEEDS['real-key']}"
    if "lean" in block.needs and not (shutil.which("lean") and shutil.which("lake")):
        return f"{block.id} is marked `needs: lean`: {ALLOWED_NEEDS['lean']}; lean/lake not on PATH"
    return None


def scillm_shell_lines(block: CodeBlock) -> list[str]:
    """The lines of a shell block that invoke scillm (`scillm ...` or `python -m scillm...`)."""
    return [
        line.strip()
        for line in block.code.splitlines()
        if line.strip().startswith(("scillm ", "python -m scillm"))
    ]


def user_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment a user's shell would have, with the interpreter's bin dir first on PATH."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def run_python_blocks(
    blocks: list[CodeBlock], cwd: Path, env: dict[str, str], timeout_s: float = 600
) -> dict[str, dict[str, Any]]:
    """Run blocks in order in one fresh interpreter (`block_runner.py`), each in its own namespace.

    Returns `{block.id: {"ok", "output", "error"}}`; a block that never ran
    (the interpreter died or hit the timeout) gets an error saying so.
    """
    spec, result = cwd / "blocks.json", cwd / "outcomes.json"
    spec.write_text(json.dumps([{"id": b.id, "code": b.code} for b in blocks]), encoding="utf-8")
    result.unlink(missing_ok=True)
    runner = Path(__file__).with_name("block_runner.py")
    why = ""
    try:
        proc = subprocess.run([sys.executable, str(runner), str(spec), str(result)], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=timeout_s)
        why = f"runner exited {proc.returncode}: {proc.stderr[-2000:]}"
    except subprocess.TimeoutExpired:
        why = f"the blocks of this file did not finish within {timeout_s:g} s"
    outcomes: dict[str, dict[str, Any]] = json.loads(result.read_text(encoding="utf-8")) if result.exists() else {}
    for block in blocks:
        outcomes.setdefault(block.id, {"ok": False, "output": "", "error": f"did not run: {why}"})
    return outcomes


class BlockRuns:
    """Runs each Markdown file's Python blocks once (one interpreter per file) and remembers the outcomes."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env = env
        self.workdir = workdir
        self._done: dict[Path, dict[str, dict[str, Any]]] = {}

    def outcome(self, block: CodeBlock, cwd: Path | None = None) -> dict[str, Any]:
        """The outcome of `block`, running every runnable Python block of its file on first use."""
        if block.path not in self._done:
            runnable = [b for b in code_blocks(block.path) if b.lang == "python" and skip_reason(b) is None]
            where = cwd or self.workdir / f"{block.path.parent.name}-{block.path.stem}"
            where.mkdir(parents=True, exist_ok=True)
            self._done[block.path] = run_python_blocks(runnable, where, self.env)
        return self._done[block.path][block.id]


def run_shell(line: str, cwd: Path, env: dict[str, str], timeout_s: float = 180) -> subprocess.CompletedProcess[str]:
    """Run one shell line with bash, as a user would type it."""
    return subprocess.run(
        ["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout_s
    )


def failure_text(proc: subprocess.CompletedProcess[str], what: str) -> str:
    """A readable failure message with the tail of both streams."""
    return f"{what} exited {proc.returncode}\n--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-3000:]}"


def doc_llm_env(server: LLMServer) -> dict[str, str]:
    """Point documentation examples at the loopback LLM server through the env vars they read.

    `server` is the `llm_server` fixture. JSON requests are answered with a
    small object naming the question, so strict-JSON examples parse; other
    chat requests get the server's usual `echo: <last user message>`.
    """

    def responder(body: dict[str, Any]) -> str | dict[str, Any]:
        messages = body.get("messages")
        users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"] if isinstance(messages, list) else []
        text = str(users[-1].get("content", "")) if users else ""
        fmt = body.get("response_format")
        if isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema"):
            return {"answer": text[:80], "confidence": 0.9, "ok": True}
        return f"echo: {text}"

    server.responder = responder
    base, key = server.base_url, server.api_key
    return {
        "SCILLM_API_BASE": base,
        "CHUTES_API_BASE": base,
        "CHUTES_API_KEY": key,
        "CHUTES_MODEL_ID": "test-model",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
