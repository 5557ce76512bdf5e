"""Run coqtop, coqc and coqchk inside bubblewrap, so a proof cannot touch the host.

A prover sees a read-only root made of what Coq needs (`/usr`, the `/lib*`
links, `/etc/ocamlfind.conf`, the prover's own install and library paths when
they live elsewhere), one private writable scratch directory mounted at
`/work` (its working directory, the only writable path), optional read-only
directories (a compiled problem), no network and no other namespace shared
with the host, an empty environment (bwrap itself is started with `env={}`),
a new session, and death with its parent. So `Redirect`, `Cd`, `Load`,
`Extraction "file"` or `Declare ML Module` in a header or proof cannot read
or write a host path even when a filter misses them.

When bubblewrap cannot run here the provers are refused (`ProverSandboxUnavailableError`)
unless the server setting `CertainlySettings.unsandboxed_provers`
(CERTAINLY_UNSANDBOXED_PROVERS=1) allows plain processes inside the block
the engine scopes with `allowing_unsandboxed` (threads started from it
inherit the scope, as `asyncio.to_thread` and `spawn_thread` copy the
context); a request can never switch the sandbox off.

`--die-with-parent` ties the sandbox to the thread that started it, so warm
sessions are spawned from one long-lived thread (`spawn_thread`).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from scillm.integrations.certainly.checkers.faults import ProcessDiedError, ProverSandboxUnavailableError
from scillm.integrations.certainly.checkers.session import tracked

WORK_INSIDE = "/work"
_ENV_INSIDE = {"PATH": "/usr/bin:/bin", "HOME": WORK_INSIDE, "LANG": "C.UTF-8"}
_ETC_FILES = ("/etc/ocamlfind.conf", "/etc/ocamlfind.conf.d", "/etc/ld.so.cache", "/etc/alternatives")
T = TypeVar("T")


@dataclass(frozen=True)
class Mounts:
    """What one prover run sees: its writable scratch dir (the cwd) and read-only extras.

    `readonly` maps a host directory to the path the prover sees it at;
    `writable` likewise, for directories a server operator chose to share
    (never a request); `scratch_at` is where the scratch dir appears (its own
    host path when the prover's arguments already name files in it, as Lean's do).
    """

    scratch: str
    readonly: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    scratch_at: str = WORK_INSIDE
    writable: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def inside(self, host_path: str, sandboxed: bool) -> str:
        """The path a prover sees for `host_path` (itself when unsandboxed)."""
        if not sandboxed:
            return host_path
        if host_path == self.scratch:
            return self.scratch_at
        for host, target in self.readonly:
            if host_path == host:
                return target
        raise ValueError(f"{host_path} is not mounted in the sandbox")


@dataclass(frozen=True)
class Launch:
    """A ready-to-run prover command: argv, working directory and environment."""

    argv: list[str]
    cwd: str
    env: dict[str, str]
    sandboxed: bool


_unsandboxed: contextvars.ContextVar[bool] = contextvars.ContextVar("scillm_unsandboxed_provers", default=False)


@contextlib.contextmanager
def allowing_unsandboxed(allowed: bool) -> Iterator[None]:
    """Inside this block provers may run unsandboxed when bubblewrap cannot (the server setting, never a request's)."""
    token = _unsandboxed.set(allowed)
    try:
        yield
    finally:
        _unsandboxed.reset(token)


def unsandboxed_allowed() -> bool:
    """Whether the enclosing `allowing_unsandboxed` block allows plain prover processes (default: no)."""
    return _unsandboxed.get()


def _prover_roots(binary: str) -> list[str]:
    """Host directories outside /usr the prover needs (an opam switch, say)."""
    roots: list[str] = []
    path = shutil.which(binary)
    if path is None:
        return roots
    real = os.path.realpath(path)
    prefix = os.path.dirname(os.path.dirname(real))
    if not real.startswith("/usr/"):
        roots.append(prefix)
    return roots


@functools.lru_cache(maxsize=4)
def _base_argv(binary: str) -> tuple[str, ...]:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise FileNotFoundError("bwrap not on PATH")
    argv = [
        bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
        "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL", "--clearenv", "--hostname", "prover",
        "--ro-bind", "/usr", "/usr",
    ]
    for link in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = f"/{link}"
        if os.path.islink(host):
            argv += ["--symlink", os.readlink(host), host]
        elif os.path.isdir(host):
            argv += ["--ro-bind", host, host]
    for path in _ETC_FILES:
        if os.path.exists(path):
            argv += ["--ro-bind", path, path]
    for root in _prover_roots(binary):
        argv += ["--ro-bind", root, root]
    argv += ["--dev", "/dev"]
    for key, value in _ENV_INSIDE.items():
        argv += ["--setenv", key, value]
    return tuple(argv)


@functools.lru_cache(maxsize=1)
def probe() -> str | None:
    """None when bubblewrap can start a process with this profile here, else why not."""

    try:
        base = _base_argv("true")
    except FileNotFoundError as exc:
        return f"{exc} (apt-get install bubblewrap)"
    with tempfile.TemporaryDirectory(prefix="scillm-probe-") as tmp:
        argv = [*base, "--bind", tmp, WORK_INSIDE, "--chdir", WORK_INSIDE, "--remount-ro", "/", "true"]
        try:
            proc = subprocess.run(argv, capture_output=True, timeout=20, env={}, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bwrap failed to start: {exc}"
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()[-300:]
        return f"bwrap exited {proc.returncode}: {err} (unprivileged user namespaces may be restricted here)"
    return None


def sandbox_problem() -> str | None:
    """Why provers cannot run here under the current policy, or None when they can."""
    try:
        active()
    except ProverSandboxUnavailableError as exc:
        return str(exc)
    return None


def active() -> bool:
    """True when provers run sandboxed, False when the server allows them unsandboxed; else raise."""
    reason = probe()
    if reason is None:
        return True
    if unsandboxed_allowed():
        return False
    raise ProverSandboxUnavailableError(f"prover sandbox unavailable: {reason}; set CERTAINLY_UNSANDBOXED_PROVERS=1 "
                             "on the server to run provers without it")


def launch(argv: Sequence[str], mounts: Mounts, *, cwd: str | None = None,
           env: Mapping[str, str] | None = None) -> Launch:
    """The command that runs `argv` (paths as given by `Mounts.inside`) under the current policy.

    `cwd` is a directory as the prover sees it (default: the scratch dir);
    `env` adds variables to the prover's otherwise empty environment.
    """
    extra = dict(env or {})
    if not active():
        home = {"HOME": mounts.scratch}
        return Launch(list(argv), cwd or mounts.scratch, {**_ENV_INSIDE, **home, **extra}, sandboxed=False)
    cmd = list(_base_argv(argv[0]))
    for host, target in mounts.readonly:
        cmd += ["--ro-bind", host, target]
    for host, target in mounts.writable:
        cmd += ["--bind", host, target]
    inside = mounts.scratch_at
    cmd += ["--bind", mounts.scratch, inside, "--chdir", cwd or inside, "--remount-ro", "/"]
    cmd += ["--setenv", "HOME", inside, "--setenv", "TMPDIR", inside]  # psatz hands csdp its files via TMPDIR
    for key, value in extra.items():
        cmd += ["--setenv", key, value]
    cmd += [shutil.which(argv[0]) or argv[0], *argv[1:]]
    return Launch(cmd, mounts.scratch, {}, sandboxed=True)


@dataclass(frozen=True)
class RunResult:
    """How one batch prover run ended."""

    rc: int | None
    out: str
    err: str
    timed_out: bool


def _limit(mem_bytes: int | None) -> Callable[[], None] | None:
    if not mem_bytes:
        return None

    def apply() -> None:
        with contextlib.suppress(OSError, ValueError):
            resource.setrlimit(resource.RLIMIT_AS, (mem_bytes, mem_bytes))

    return apply


def start(cmd: Launch, *, mem_bytes: int | None) -> subprocess.Popen[bytes]:
    """Start a batch prover in its own process group under the memory cap, output piped, no stdin."""
    return subprocess.Popen(
        cmd.argv, cwd=cmd.cwd, env=cmd.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True, preexec_fn=_limit(mem_bytes),
    )


def run(cmd: Launch, *, timeout_s: float, mem_bytes: int | None = 4 << 30) -> RunResult:
    """Run a batch prover (coqc, coqchk) to completion or kill its process group at the deadline."""
    proc = start(cmd, mem_bytes=mem_bytes)
    group = ProcessGroup(proc.pid)
    try:
        with tracked(group):
            out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        group.kill()
        proc.communicate()
        return RunResult(None, "", "", True)
    except ProcessDiedError as exc:
        proc.communicate()
        return RunResult(None, "", str(exc), False)
    return RunResult(proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), False)


@dataclass(frozen=True)
class ProcessGroup:
    """A prover's process group (bwrap and everything below it), killed as one."""

    pid: int

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)


_spawner: ThreadPoolExecutor | None = None
_spawner_lock = threading.Lock()


def spawn_thread(fn: Callable[[], T]) -> T:
    """Run `fn` (which starts a long-lived prover) on one thread that lives as long as the process.

    `--die-with-parent` kills a sandbox when the thread that forked it exits;
    pool sessions are started from short-lived threads, so they fork here.
    """
    global _spawner
    with _spawner_lock:
        if _spawner is None:
            _spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scillm-prover-spawn")
        spawner = _spawner
    if threading.current_thread().name.startswith("scillm-prover-spawn"):
        return fn()
    return spawner.submit(contextvars.copy_context().run, fn).result()


def innermost_pid(pid: int) -> int:
    """The last process down the first-child chain from `pid` (coqtop below bwrap's two processes)."""
    while True:
        try:
            with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
                children = [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            return pid
        if not children:
            return pid
        pid = children[0]


def descendants_rss_bytes(pid: int) -> int | None:
    """Resident memory of `pid` and every process below it (the prover inside bwrap)."""
    total = 0
    seen = False
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status", encoding="ascii", errors="replace") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        seen = True
                        break
            with open(f"/proc/{p}/task/{p}/children", encoding="ascii") as fh:
                stack += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue
    return total if seen else None


__all__ = [
    "WORK_INSIDE",
    "Launch",
    "Mounts",
    "ProcessGroup",
    "RunResult",
    "descendants_rss_bytes",
    "innermost_pid",
    "launch",
    "active",
    "allowing_unsandboxed",
    "probe",
    "run",
    "sandbox_problem",
    "spawn_thread",
    "start",
]
