"""One warm `coqtop -emacs` process with a header loaded, and how to find coqtop.

Framing (see `../shared/notes/coq-checking.md`): stdout and stderr share one
pipe, so output stays in order; every sentence is sent on a line of its own
and answers with exactly one `<prompt>`; a request ends with
`Check scillm_nonce_<random>.`, which fails with a known error, so the reply
is complete when that nonce has been printed and its prompt has followed.
Each request starts with `BackTo <base>` so nothing of the previous check
survives. The process runs inside the prover sandboxes (`prover_sandbox`):
its private temporary directory (lia/nia caches) is the only path it can
write, and it dies with its process group on a wall-clock timeout.

A prompt is `<prompt>NAME < STATE |OPEN| DEPTH < </prompt>`, where OPEN lists
every open proof separated by `|` (`a < 8 |a|certainly_goal| 0 <` while a
nested lemma is open), so the open-proofs field may itself contain bars.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
import weakref
from dataclasses import dataclass

from scillm.integrations.certainly.checkers import prover_sandbox as sandbox
from scillm.integrations.certainly.checkers.diagnostics import errors_in, missing_library
from scillm.integrations.certainly.checkers.faults import SessionBrokenError
from scillm.integrations.certainly.checkers.sentences import LexError, split_sentences
from scillm.integrations.certainly.checkers.session import ProverProcess

_PROMPT = re.compile(rb"<prompt>([^\s<>|]+) < (\d+) \|([^<>\n]*)\| \d+ < </prompt>")
_BACKTO = re.compile(r"\s*BackTo\s+(\d+)\s*\.")
_VERSION = re.compile(r"version\s+(\d+(?:\.\d+)+\S*)")


@dataclass(frozen=True)
class CoqBinaries:
    """The commands for a warm toplevel and a batch compiler, and the prover version."""

    top: tuple[str, ...]
    compile: tuple[str, ...]
    version: str
    major: int


@functools.lru_cache(maxsize=1)
def find_coq() -> CoqBinaries | None:
    """Rocq 9 (`rocq repl`/`rocq compile`) or Coq 8.x (`coqtop`/`coqc`); None when neither is here."""
    candidates: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    if shutil.which("coqtop") and shutil.which("coqc"):
        candidates.append((("coqtop",), ("coqc",)))
    if shutil.which("rocq"):
        candidates.append((("rocq", "repl"), ("rocq", "compile")))
    for top, comp in candidates:
        try:
            out = subprocess.run([top[0], "--version"], capture_output=True, text=True, timeout=20).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        m = _VERSION.search(out)
        if m:
            version = m.group(1)
            return CoqBinaries(top=top, compile=comp, version=version, major=int(version.split(".")[0]))
    return None


@functools.lru_cache(maxsize=4)
def library_fingerprint(compile_cmd: tuple[str, ...]) -> str:
    """A hash that changes when the installed Coq libraries change (stdlib and user-contrib packages).

    It covers each library directory's name and modification time two levels
    down, which package upgrades touch; a cache key includes it so a verdict
    is never reused across library versions.
    """

    try:
        where = subprocess.run([*compile_cmd, "-where"], capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    digest = hashlib.sha256(where.encode())
    for top in ("theories", "user-contrib", "plugins"):
        base = os.path.join(where, top)
        if not os.path.isdir(base):
            continue
        for name in sorted(os.listdir(base)):
            path = os.path.join(base, name)
            for entry in [path, *sorted(os.path.join(path, n) for n in (os.listdir(path) if os.path.isdir(path) else []))]:
                try:
                    digest.update(f"{entry}:{os.stat(entry).st_mtime_ns}\n".encode())
                except OSError:
                    continue
    return digest.hexdigest()[:16]


def adapt_header(header: str, major: int) -> str:
    """`From Stdlib` on Coq 8 (and `From Coq` stays valid on Rocq 9)."""
    if major < 9:
        return re.sub(r"\bFrom\s+Stdlib\b", "From Coq", header)
    return header


@dataclass
class Reply:
    """A request's output cut per sentence: `segments[i]` is what sentence i printed."""

    segments: list[str]
    prompts: list[tuple[str, int, str]]


@dataclass(frozen=True)
class ProofStart:
    """A state inside the open proof: the sentences that made it, its id, the `Default Timeout` it carries."""

    prefix: tuple[str, ...]
    state: int
    timeout_s: int


@dataclass
class HeaderState:
    """What loading the header gave: the base state, loaded libraries, or why it failed."""

    base_state: int = 0
    libraries: frozenset[str] = frozenset()
    error: str | None = None
    missing: str | None = None


class CoqSession:
    """A coqtop that has loaded `key` (the header) once and checks many candidates."""

    def __init__(
        self,
        key: str,
        binaries: CoqBinaries,
        *,
        default_timeout_s: float = 20.0,
        mem_bytes: int | None = 4 << 30,
        start_timeout_s: float = 120.0,
    ) -> None:
        self.key = key
        self.uses = 0
        self.binaries = binaries
        self.default_timeout_s = default_timeout_s
        self.mem_bytes = mem_bytes
        self.start_timeout_s = start_timeout_s
        self.broken = False
        self.header = HeaderState()
        self._dir: str | None = None
        self._proc: ProverProcess | None = None
        self._release: weakref.finalize[..., CoqSession] | None = None
        #: The state right after the last fresh decls + `Theorem` + `Proof.`, while that state exists.
        self.proof_start: ProofStart | None = None

    def start(self) -> None:
        self._dir = tempfile.mkdtemp(prefix="scillm-coq-")
        cmd = sandbox.launch([*self.binaries.top, "-q", "-emacs"], sandbox.Mounts(scratch=self._dir))
        self._proc = ProverProcess(cmd.argv, cwd=cmd.cwd, env=cmd.env, mem_bytes=self.mem_bytes)
        # Whoever drops the session without close() (or exits) still gets coqtop killed and the dir removed.
        self._release = weakref.finalize(self, _release, self._proc, self._dir)
        sandbox.spawn_thread(self._proc.spawn)
        deadline = time.monotonic() + self.start_timeout_s
        self._proc.read_until(lambda b: b.rstrip().endswith(b"</prompt>"), deadline)

        try:
            header_lines = [s.text for s in split_sentences(adapt_header(self.key, self.binaries.major))]
        except LexError as exc:
            self.header.error = f"header: {exc}"
            header_lines = []
        setup = ["Unset Lia Cache.", "Unset Nia Cache.", f"Set Default Timeout {math.ceil(self.default_timeout_s)}.",
                 "Set Silent."]
        reply = self.request([*header_lines, *setup, "Print Libraries."], self.start_timeout_s)
        for text in reply.segments[: len(header_lines)]:
            errs = errors_in(text)
            if errs and self.header.error is None:
                self.header.missing = missing_library(errs[0].text)
                self.header.error = f"header: {errs[0].text}"
        final = reply.prompts[-1]
        if final[0] != "Coq" or final[2].strip():
            self.header.error = self.header.error or "header leaves a proof open"
        self.header.base_state = final[1]
        libs = reply.segments[-1].split("Loaded library files:", 1)[-1]
        self.header.libraries = frozenset(ln.strip() for ln in libs.splitlines() if ln.startswith("  ") and ln.strip())

    def request(self, lines: list[str], timeout_s: float) -> Reply:
        """Send `lines` (one sentence each) and a sentinel in one write; cut the reply per sentence."""
        if self._proc is None or self.broken:
            raise SessionBrokenError("session is not running")
        for line in lines:
            back = _BACKTO.match(line)
            if back and (self.proof_start is None or int(back.group(1)) != self.proof_start.state):
                self.proof_start = None  # going back before that state discards it
        nonce = f"scillm_nonce_{secrets.token_hex(8)}".encode()
        payload = "\n".join(lines).encode("utf-8") + b"\nCheck " + nonce + b".\n"
        proc = self._proc

        def _done(buf: bytearray) -> bool:
            return buf.endswith(b"</prompt>") and nonce in buf[-4096:]

        try:
            proc.write(payload)
            raw = proc.read_until(_done, time.monotonic() + timeout_s)
        except BaseException:
            self.broken = True
            raise
        pieces = _PROMPT.split(raw)
        # split() yields [text, name, state, open, text, name, state, open, ..., tail]
        segments = [pieces[i].decode("utf-8", errors="replace") for i in range(0, len(pieces) - 1, 4)]
        prompts = [
            (pieces[i].decode(), int(pieces[i + 1]), pieces[i + 2].decode()) for i in range(1, len(pieces) - 1, 4)
        ]
        if len(prompts) != len(lines) + 1 or nonce.decode() not in segments[-1]:
            self.broken = True
            self.close()
            raise SessionBrokenError(f"expected {len(lines) + 1} prompts, got {len(prompts)}")
        return Reply(segments=segments[:-1], prompts=prompts[:-1])

    def remember_proof_start(self, prefix: tuple[str, ...], timeout_s: int, prompt: tuple[str, int, str],
                             printed: list[str], name: str) -> None:
        """Keep the state after `prefix` when it printed no error and left exactly the proof `name` open."""
        if not any(errors_in(text) for text in printed) and (prompt[0], prompt[2]) == (name, name):
            self.proof_start = ProofStart(prefix=prefix, state=prompt[1], timeout_s=timeout_s)

    def locate(self, names: list[str], timeout_s: float) -> dict[str, str | None]:
        """Full path of each constant name (the first `Constant` line of `Locate`) in the current state."""
        reply = self.request([f"Locate {n}." for n in names], timeout_s)
        out: dict[str, str | None] = {}
        for name, seg in zip(names, reply.segments, strict=True):
            m = re.search(r"^Constant\s+(\S+)", seg, re.M)
            out[name] = m.group(1) if m else None
        return out

    def healthy(self) -> bool:
        return not self.broken and self._proc is not None and self._proc.alive()

    def prover_pid(self) -> int | None:
        """Host pid of coqtop itself (inside the sandbox when there is one)."""
        pid = self._proc.pid if self._proc else None
        return sandbox.innermost_pid(pid) if pid is not None else None

    def rss_bytes(self) -> int | None:
        """Resident memory of coqtop (below bwrap when sandboxed)."""
        pid = self._proc.pid if self._proc else None
        return sandbox.descendants_rss_bytes(pid) if pid is not None else None

    def close(self) -> None:
        self.broken = True
        if self._release is not None:
            self._release()
        elif self._proc is not None:
            self._proc.kill()
        self._dir = None


def _release(proc: ProverProcess, directory: str) -> None:
    """Kill the session's coqtop, then remove its scratch dir (the sandbox has it mounted until then)."""
    proc.kill()
    with contextlib.suppress(OSError):
        shutil.rmtree(directory, ignore_errors=True)


__all__ = ["CoqBinaries", "CoqSession", "HeaderState", "ProofStart", "Reply", "adapt_header", "find_coq",
           "library_fingerprint"]
