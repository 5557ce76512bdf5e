"""The independent Lean verdict: a winner is `proved` only after fresh modules that scillm writes say so.

Nothing is shared with the search session. From the ORIGINAL problem:

- `ScillmCheck/Candidate.lean` = the header (plus any trusted imports a
  search added), the declarations,
  `def _root_.scillm_statement : Prop := <statement>` (elaborated in the
  problem's own context before any proof text is read), then
  `theorem _root_.ScillmCandidate.<name> : <statement> := <proof>`; it is
  compiled to an `.olean` by a fresh `lean` process (the kernel checks it).
- `ScillmCheck/Verify.lean` = the header's imports, `import
  ScillmCheck.Candidate`, `example : scillm_statement :=
  @ScillmCandidate.<name>` (the proof has exactly the problem's statement)
  and `#print axioms ScillmCandidate.<name>`. It runs in a FRESH root
  holding only a copy of the candidate's `.olean` (a regular file), so
  nothing else the candidate process wrote can be imported or read there.
- Each module ends with `#print "<marker>"`, a random token drawn per
  verdict; a run whose messages lack its marker at its last line (a process
  that exited early, with rc 0 and no errors) is `error`, never `proved`.
- Optionally (`replay_cmd`, e.g. lean4checker) every declaration of the
  compiled candidate is replayed through the kernel.

The axiom answer is read by structure: the one `info` message at the
`#print axioms` line, matching Lean's whole sentence for exactly that name,
each axiom parsed as a Lean name. `sorryAx` -> `rejected` (not proved);
anything beyond `ALLOWED_AXIOMS` -> `rejected`, naming it. No Lean ->
`env_unavailable`; never `proved`.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from scillm.integrations.certainly.checkers.lean_cold import ColdOutcome, run_module, run_replay
from scillm.integrations.certainly.checkers.lean_repl import ReplMessage
from scillm.integrations.certainly.checkers.lean_session import LeanConfig
from scillm.integrations.certainly.checkers.lean_soundness import (
    ALLOWED_AXIOMS,
    NATIVE_AXIOMS,
    header_parts,
    is_sorry_warning,
)
from scillm.integrations.certainly.checkers.lean_tokens import tokenize
from scillm.integrations.certainly.models import Problem

VerdictStatus = Literal["proved", "failed", "rejected", "error", "timeout", "env_unavailable"]

CANDIDATE_MODULE = "ScillmCheck.Candidate"
VERIFY_MODULE = "ScillmCheck.Verify"
STATEMENT_NAME = "scillm_statement"
CANDIDATE_NAMESPACE = "ScillmCandidate"


class IndependentVerdict(BaseModel):
    """The outcome of the independent check of one proof, with what it rests on."""

    model_config = ConfigDict(frozen=True)

    status: VerdictStatus
    axioms: tuple[str, ...] = ()
    """Axioms `#print axioms` named for the checked theorem (empty when it was not read)."""
    message: str = ""
    """Why, when the status is not `proved`."""
    file: str = ""
    """The modules that were checked, in order, each under a `-- <module>` line."""


TRUSTED_IMPORT_ROOTS: frozenset[str] = frozenset({"Init", "Std", "Lean", "Batteries", "Mathlib", "Aesop", "Qq",
                                                   "Plausible"})
"""Libraries whose modules a search may add as `import` (the project's own Lake packages)."""


def trusted_import(module: str) -> bool:
    """Whether a search may add `import module` (a plain module name under `TRUSTED_IMPORT_ROOTS`)."""
    lexed = tokenize(module)
    code = lexed.code
    return (not lexed.problems and len(code) == 1 and code[0].kind == "ident" and code[0].text == module
            and "«" not in module and code[0].parts[0] in TRUSTED_IMPORT_ROOTS)


def candidate_module(problem: Problem, proof: str, imports: tuple[str, ...] = (), *,
                     marker: str | None = None) -> str:
    """`Candidate.lean`: the problem as its author wrote it, the statement as a `Prop`, the proof, the end marker."""
    body = proof.strip()
    if body.startswith(":="):
        body = body[2:].lstrip()
    statement = problem.statement.strip()
    header_imports, header_rest, _ = header_parts(problem.header)
    head = "\n".join([*(header_imports.splitlines() if header_imports else []), *(f"import {m}" for m in imports),
                      *([header_rest] if header_rest else [])])
    parts = [head, problem.decls.strip(),
             f"def _root_.{STATEMENT_NAME} : Prop := {statement}",
             f"theorem _root_.{CANDIDATE_NAMESPACE}.{problem.theorem_name} : {statement} := {body}"]
    text = "\n\n".join(p for p in parts if p) + "\n"
    return text if marker is None else f"{text}\n{_print(marker)}\n"


def verify_module(problem: Problem, header_imports: str, *, marker: str | None = None) -> tuple[str, int]:
    """(`Verify.lean`, the 1-based line of its `#print axioms`); the end marker, if any, is on the next line."""
    target = f"{CANDIDATE_NAMESPACE}.{problem.theorem_name}"
    lines = [*(header_imports.splitlines() if header_imports.strip() else []), f"import {CANDIDATE_MODULE}", "",
             f"example : {STATEMENT_NAME} := @{target}", f"#print axioms {target}"]
    tail = [] if marker is None else [_print(marker)]
    return "\n".join([*lines, *tail]) + "\n", len(lines)


def _print(marker: str) -> str:
    return f'#print "{marker}"'


def new_marker(what: str) -> str:
    """A token no proof text can know in advance: `scillm-<what>-done-<32 hex digits>`."""
    return f"scillm-{what}-done-{secrets.token_hex(16)}"


def reached_end(messages: list[ReplMessage], marker: str, line: int) -> bool:
    """Whether the run printed `marker` once, as the `info` of its `#print` at `line`, with nothing after it."""
    hits = [m for m in messages if m.data.strip() == marker]
    return (len(hits) == 1 and hits[0].severity == "info" and hits[0].pos.line == line
            and all(m.pos.line <= line for m in messages))


def _name(text: str) -> str | None:
    """A Lean name as printed (`Foo.«bar baz»`), escapes removed; None when `text` is not one name."""
    lexed = tokenize(text.strip())
    code = lexed.code
    if lexed.problems or len(code) != 1 or code[0].kind != "ident":
        return None
    return code[0].name


_DEPENDS = re.compile(r"'(?P<name>.+)' depends on axioms: \[(?P<list>.*)\]", re.DOTALL)
_NONE = re.compile(r"'(?P<name>.+)' does not depend on any axioms")


def parse_axioms(text: str, name: str) -> tuple[str, ...] | None:
    """Axioms of `name` from one `#print axioms` message; None unless the WHOLE message is that answer."""
    text = text.strip()
    m = _NONE.fullmatch(text)
    if m is not None:
        return () if _name(m.group("name")) == name else None
    m = _DEPENDS.fullmatch(text)
    if m is None or _name(m.group("name")) != name:
        return None
    axioms = []
    for item in _split_list(m.group("list")):
        parsed = _name(item)
        if parsed is None:
            return None
        axioms.append(parsed)
    return tuple(axioms) if axioms else None


def _split_list(text: str) -> list[str]:
    """Split at commas outside `«»`."""
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        depth += 1 if ch == "«" else -1 if ch == "»" else 0
        if ch == "," and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return items


def axiom_policy(axioms: tuple[str, ...], *, allow_native_decide: bool = False) -> tuple[VerdictStatus, str]:
    """`proved` when every axiom is trusted; otherwise `rejected` naming the others."""
    if "sorryAx" in axioms:
        return "rejected", "the proof depends on `sorryAx` (a `sorry` somewhere): not proved"
    trusted = ALLOWED_AXIOMS | (NATIVE_AXIOMS if allow_native_decide else frozenset())
    extra = [a for a in axioms if a not in trusted]
    if extra:
        return "rejected", f"the proof depends on axioms outside the trusted list: {', '.join(extra)}"
    return "proved", ""


def read_verify(messages: list[ReplMessage], target: str, print_line: int, *,
                marker: str | None = None) -> tuple[VerdictStatus, str, tuple[str, ...]]:
    """(status, message, axioms) from the messages of `Verify.lean`, read by position and whole-sentence shape."""
    if marker is not None and not reached_end(messages, marker, print_line + 1):
        return "error", "the verification run ended without its end marker; not accepting the proof", ()
    errors = [m for m in messages if m.severity == "error"]
    if errors:
        return "rejected", f"the proof does not have the problem's statement: {errors[0].data}", ()
    answers = [m for m in messages if m.pos.line == print_line and m.severity == "info"]
    if len(answers) != 1:
        return "error", f"`#print axioms` gave {len(answers)} answers instead of one; not accepting the proof", ()
    axioms = parse_axioms(answers[0].data, target)
    if axioms is None:
        return "error", f"unreadable `#print axioms` answer: {answers[0].data[:200]!r}", ()
    return "proved", "", axioms


def _runnable(cmd: tuple[str, ...]) -> bool:
    return bool(cmd) and (shutil.which(cmd[0]) is not None or Path(cmd[0]).is_file())


def _from_cold(outcome: ColdOutcome, what: str) -> tuple[VerdictStatus, str]:
    status: VerdictStatus = ("timeout" if outcome.status == "timeout" else
                             "env_unavailable" if outcome.status == "env_unavailable" else "error")
    return status, f"{what}: {outcome.detail}"


def independent_verdict(problem: Problem, proof: str, imports: tuple[str, ...] = (), *, timeout_s: float,
                        config: LeanConfig | None = None) -> IndependentVerdict:
    """Check `proof` of the ORIGINAL `problem` in fresh Lean processes; see the module docstring.

    `imports` are modules a search added (each must pass `trusted_import`);
    they go after the header's imports of the candidate module only.
    """
    config = config or LeanConfig.model_validate({})
    untrusted = [m for m in imports if not trusted_import(m)]
    if untrusted:
        return IndependentVerdict(status="rejected", message=f"imports outside the trusted libraries: {untrusted}")
    header_imports, _, header_bad = header_parts(problem.header)
    if header_bad:
        return IndependentVerdict(status="rejected", message=f"not allowed in the header: {header_bad[0].what}")
    candidate_marker, verify_marker = new_marker("candidate"), new_marker("verify")
    candidate = candidate_module(problem, proof, imports, marker=candidate_marker)
    verify, print_line = verify_module(problem, header_imports, marker=verify_marker)
    file = f"-- {CANDIDATE_MODULE}\n{candidate}\n-- {VERIFY_MODULE}\n{verify}"
    if not _runnable(config.lean_cmd):
        return IndependentVerdict(status="env_unavailable", file=file, message=(
            f"the independent verdict needs {config.lean_cmd[0]!r} (lean_cmd) on PATH; without it nothing is proved"))
    target = f"{CANDIDATE_NAMESPACE}.{problem.theorem_name}"
    with tempfile.TemporaryDirectory(prefix="scillm-lean-verdict-") as root:
        built = run_module(config, root, CANDIDATE_MODULE, candidate, timeout_s, olean=True)
        status, why = _judge_candidate(built, candidate_marker, candidate.count("\n"))
        if status is not None:
            return IndependentVerdict(status=status, message=why, file=file)
        with tempfile.TemporaryDirectory(prefix="scillm-lean-verify-") as fresh:
            if not stage_candidate(root, fresh):
                return IndependentVerdict(status="error", file=file,
                                          message="lean wrote no .olean for the candidate (as a regular file)")
            if config.replay_cmd is not None:
                replay = run_replay(config, fresh, CANDIDATE_MODULE, timeout_s)
                if replay.status != "ran":
                    status, why = _from_cold(replay, "kernel replay of the candidate module failed")
                    return IndependentVerdict(status="rejected" if status == "error" else status, message=why,
                                              file=file)
            checked = run_module(config, fresh, VERIFY_MODULE, verify, timeout_s, olean=False)
            if checked.status != "ran":
                status, why = _from_cold(checked, "running the verification module")
                return IndependentVerdict(status=status, message=why, file=file)
    status, why, axioms = read_verify(checked.messages, target, print_line, marker=verify_marker)
    if status == "proved":
        status, why = axiom_policy(axioms, allow_native_decide=config.allow_native_decide)
    return IndependentVerdict(status=status, axioms=axioms, message=why, file=file)


def _judge_candidate(built: ColdOutcome, marker: str, marker_line: int) -> tuple[VerdictStatus | None, str]:
    """(status, why) when the candidate run settles the verdict, else (None, "")."""
    if built.status != "ran":
        return _from_cold(built, "compiling the candidate module")
    errors = [m for m in built.messages if m.severity == "error"]
    if errors:
        return "failed", f"the candidate module does not compile: {errors[0].data}"
    if any(is_sorry_warning(m.data) for m in built.messages):
        return "rejected", "the candidate uses `sorry`"
    if not reached_end(built.messages, marker, marker_line):
        return "error", "the candidate run ended without its end marker (it stopped early); not accepting the proof"
    return None, ""


def stage_candidate(built_root: str, fresh_root: str) -> bool:
    """Copy the candidate's `.olean`, and nothing else, into `fresh_root`; False unless it is a regular file there."""
    rel = CANDIDATE_MODULE.replace(".", "/") + ".olean"
    source = Path(built_root) / rel
    if os.path.realpath(source) != os.path.join(os.path.realpath(built_root), rel) or not source.is_file():
        return False
    target = Path(fresh_root) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target, follow_symlinks=False)
    return True

__all__ = [
    "CANDIDATE_MODULE",
    "IndependentVerdict",
    "VERIFY_MODULE",
    "axiom_policy",
    "candidate_module",
    "independent_verdict",
    "parse_axioms",
    "new_marker",
    "reached_end",
    "read_verify",
    "stage_candidate",
    "trusted_import",
    "verify_module",
]
