"""One Lean REPL session with the header's imports elaborated, and the settings to run Lean.

A `LeanSession` is one `repl` process (leanprover-community/repl, started as
`lake env repl` in the configured Lake project) that has elaborated the header's
`import` lines once; every check is one command on top of that environment id
(as Kimina Lean Server does). The REPL runs in the prover sandbox, like the
cold checker and the verdict (`lean_sandbox.lean_launch`): the project and
toolchain read-only, a private scratch directory (its HOME, removed on close)
the only writable path, no network, an empty environment. It implements the `Session` protocol of
`checkers/session.py`, so the generic `SessionPool` manages it.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from scillm.integrations.certainly.checkers import prover_sandbox as sandbox
from scillm.integrations.certainly.checkers.faults import ReplFaultError
from scillm.integrations.certainly.checkers.lean_repl import LeanRepl, ReplReply
from scillm.integrations.certainly.checkers.lean_sandbox import ExtraMounts, lean_launch
from scillm.integrations.certainly.models import BackendStatus
from scillm.settings import CertainlySettings


class LeanConfig(BaseModel):
    """How to run Lean; validated when built, passed to `LeanChecker`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    project: Path | None = Field(None, description="Lake project holding the REPL (CERTAINLY_LEAN_PROJECT).")
    repl_cmd: tuple[str, ...] = Field(("lake", "env", "repl"), description="REPL command, run in `project`.")
    lean_cmd: tuple[str, ...] = Field(("lake", "env", "lean", "--json"),
                                      description="Cold checker and independent-verdict command.")
    replay_cmd: tuple[str, ...] | None = Field(
        None, description="Kernel replay of the compiled candidate module (e.g. `lake env lean4checker`); off when None.")
    mode: Literal["warm", "cold"] = "warm"
    fallback_cold: bool = Field(True, description="Use the cold path when a REPL cannot be started.")
    pool_size: int | None = Field(None, ge=1, description="Sessions in all (default CERTAINLY_POOL_SIZE or cores).")
    timeout_ms: int = Field(60_000, ge=1, description="Wall clock per check; the session is killed past it.")
    header_timeout_ms: int = Field(600_000, ge=1, description="Wall clock for elaborating the imports.")
    memory_mb: int | None = Field(16_384, ge=64, description="RLIMIT_AS per REPL process.")
    recycle_after: int = Field(500, ge=1, description="Checks before a session is replaced (the REPL keeps every env).")
    max_rss_mb: int | None = Field(12_288, ge=64, description="Replace a session whose RSS passes this.")
    wait_s: float = Field(120.0, gt=0, description="How long a check waits for a free session.")
    allow_native_decide: bool = Field(False, description="Accept `native_decide` (trusts the compiler).")
    max_input_chars: int = Field(200_000, ge=1,
                                 description="Longer statements, proofs, headers or declarations are refused.")

    @classmethod
    def from_settings(cls, settings: CertainlySettings, **overrides: object) -> LeanConfig:
        """Defaults plus the engine's `lean_project` and `pool_size` (CERTAINLY_LEAN_PROJECT, CERTAINLY_POOL_SIZE);
        keyword arguments win."""
        values: dict[str, object] = {}
        if settings.lean_project:
            values["project"] = Path(settings.lean_project).expanduser()
        if settings.pool_size:
            values["pool_size"] = settings.pool_size
        values.update(overrides)
        return cls.model_validate(values)


class LeanHeaderError(ReplFaultError):
    """The header's imports did not elaborate (missing package, bad import)."""


class LeanSession:
    """One REPL with the header's imports elaborated; `env_id` is the environment every check extends."""

    def __init__(self, key: str, config: LeanConfig, extra_mounts: ExtraMounts | None = None) -> None:
        self.key = key
        self.uses = 0
        self.env_id: int | None = None
        self.broken = False
        self.config = config
        self.extra_mounts = extra_mounts
        self._dir: str | None = None
        self._repl: LeanRepl | None = None

    def start(self) -> None:
        """Spawn the sandboxed REPL and elaborate the imports once.

        Raises `ProverSandboxUnavailableError` when the sandbox cannot run and the
        server does not allow unsandboxed provers, `LeanHeaderError` when the imports fail.
        """
        self._dir = tempfile.mkdtemp(prefix="scillm-lean-repl-")
        try:
            cmd = lean_launch(self.config, self.config.repl_cmd, self._dir, extra=self.extra_mounts)
            self._repl = LeanRepl(cmd.argv, cwd=cmd.cwd, env=cmd.env, memory_mb=self.config.memory_mb)
            sandbox.spawn_thread(self._repl.start)
            if self.key.strip():
                self.env_id = self._load_header()
        except BaseException:
            self.close()
            raise

    def _load_header(self) -> int:
        reply = self.run({"cmd": self.key}, self.config.header_timeout_ms / 1000)
        errors = [m.data for m in reply.messages if m.severity == "error"]
        if reply.is_error or errors or reply.env is None:
            raise LeanHeaderError(f"header did not load: {reply.message or '; '.join(errors) or 'no env id'}")
        return reply.env

    def run(self, payload: dict[str, object], timeout_s: float) -> ReplReply:
        """One command; any fault or REPL-level error marks the session broken."""
        if self._repl is None:
            self.broken = True
            raise ReplFaultError("the REPL was not started")
        try:
            reply = self._repl.send(payload, timeout_s)
        except ReplFaultError:
            self.broken = True
            raise
        if reply.is_error:
            self.broken = True
        return reply

    def command(self, cmd: str, timeout_s: float, env_id: int | None = None) -> ReplReply:
        """Run `cmd` on `env_id` (default: the header's environment)."""
        base = self.env_id if env_id is None else env_id
        payload: dict[str, object] = {"cmd": cmd} if base is None else {"cmd": cmd, "env": base}
        return self.run(payload, timeout_s)

    def healthy(self) -> bool:
        return not self.broken and self._repl is not None and self._repl.alive()

    def rss_bytes(self) -> int | None:
        """Resident memory of the REPL and everything below it (bubblewrap's processes, then the REPL)."""
        pid = self._repl.pid if self._repl is not None else None
        return sandbox.descendants_rss_bytes(pid) if pid is not None else None

    def close(self) -> None:
        """Kill the REPL and remove its scratch directory; safe to call twice."""
        if self._repl is not None:
            self._repl.close()
        if self._dir is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(self._dir)
            self._dir = None


def _lean_version(config: LeanConfig) -> str | None:
    lean = shutil.which("lean")
    if lean is not None:
        try:
            out = subprocess.run([lean, "--version"], capture_output=True, text=True, timeout=20)
            if out.returncode == 0 and out.stdout.strip():
                return out.stdout.strip().splitlines()[0]
        except (OSError, subprocess.TimeoutExpired):
            pass
    toolchain = config.project / "lean-toolchain" if config.project else None
    if toolchain is not None and toolchain.is_file():
        return toolchain.read_text(encoding="utf-8").strip() or None
    return None


def backend_status(config: LeanConfig) -> BackendStatus:
    """Whether the configured REPL command and project can run here; never raises."""
    binaries = {config.repl_cmd[0]: shutil.which(config.repl_cmd[0]), "lean": shutil.which("lean")}
    reason = None
    if config.project is None:
        reason = "no Lean project configured: set CERTAINLY_LEAN_PROJECT to a Lake project with the REPL"
    elif not config.project.is_dir():
        reason = f"Lean project {config.project} does not exist"
    elif binaries[config.repl_cmd[0]] is None:
        reason = f"{config.repl_cmd[0]!r} is not on PATH (install elan/lake)"
    version = _lean_version(config) if reason is None else None
    return BackendStatus(name="lean", available=reason is None, version=version, reason=reason, binaries=binaries)


__all__ = ["LeanConfig", "LeanHeaderError", "LeanSession", "backend_status"]
