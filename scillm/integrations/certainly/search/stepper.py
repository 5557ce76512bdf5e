"""Step through one proof in a warm coqtop, one tactic at a time, backtracking by state id.

Built on the checkers' `CoqSession` (its `start`/`request`/`close` only). A
node of the search is a path of steps from the open proof; coqtop keeps only
the states of the path it last executed, so moving to another node is
`BackTo` the deepest common state and a replay of the rest, never a restart.
Every step is lexed and passed through the soundness whitelist before it is
sent: only tactic sentences reach coqtop, whoever proposed them.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

from scillm.integrations.certainly.checkers.coq_candidate import prepare
from scillm.integrations.certainly.checkers.coq_session import CoqBinaries, CoqSession
from scillm.integrations.certainly.checkers.diagnostics import errors_in
from scillm.integrations.certainly.checkers.faults import (
    OutputTooLargeError,
    ProcessDiedError,
    ProcessTimeoutError,
    SessionBrokenError,
)
from scillm.integrations.certainly.checkers.sentences import LexError, split_sentences
from scillm.integrations.certainly.checkers.soundness import check_proof_sentences
from scillm.integrations.certainly.models import CheckerInfo, CheckResult, Problem
from scillm.integrations.certainly.search.goals import GoalState, parse_goals

_GRACE_S = 1.0
_WRAPPABLE = re.compile(r"^[a-z]")
_INFO = CheckerInfo(name="coq", mode="search")


class StepperError(Exception):
    """The problem cannot be opened (header, decls or statement fail to load)."""


@dataclass(frozen=True)
class StepOutcome:
    """What one step did: the new state, or why it failed."""

    state: GoalState | None
    error: str | None = None
    elapsed_s: float = 0.0


def step_sentences(step: str) -> list[str] | str:
    """The tactic sentences of `step`, or why it may not be sent."""
    try:
        sentences = split_sentences(step)
    except LexError as exc:
        return f"step does not lex: {exc.reason}"
    if not sentences:
        return "empty step"
    bad = check_proof_sentences(sentences)
    if bad is not None:
        return f"rejected: {bad.reason}"
    if any(s.kind != "command" for s in sentences):
        return "step has a bullet or brace; send plain tactic sentences"
    return [s.text for s in sentences]


class ProofStepper:
    """One problem's proof, open in its own warm session."""

    def __init__(self, problem: Problem, binaries: CoqBinaries, *, mem_bytes: int | None = 4 << 30) -> None:
        self.problem = problem
        self.binaries = binaries
        self.mem_bytes = mem_bytes
        self.root: GoalState | None = None
        self.restarts = 0
        self._session: CoqSession | None = None
        self._root_state = 0
        self._line: list[tuple[str, int]] = []

    def open(self, timeout_s: float) -> GoalState:
        """Start the session and open the proof; StepperError when it cannot be opened."""
        cand = prepare(self.problem, "idtac.", _INFO)
        if isinstance(cand, CheckResult):
            raise StepperError(cand.first_error or "invalid problem")
        session = CoqSession(self.problem.header, self.binaries, default_timeout_s=max(1.0, timeout_s),
                             mem_bytes=self.mem_bytes, start_timeout_s=max(1.0, timeout_s))
        self._session = session
        try:
            session.start()
            if session.header.error is not None:
                raise StepperError(session.header.error)
            # The base state is Silent; the stepper reads the goals each step prints.
            lines = [f"BackTo {session.header.base_state}.", "Unset Silent.", *(s.text for s in cand.decls),
                     cand.theorem, "Proof."]
            reply = session.request(lines, timeout_s)
        except (SessionBrokenError, ProcessTimeoutError, ProcessDiedError, OutputTooLargeError) as exc:
            self.close()
            raise StepperError(f"coqtop: {exc}") from exc
        for seg in reply.segments[1:]:
            errs = errors_in(seg)
            if errs:
                self.close()
                raise StepperError(errs[0].text)
        root = parse_goals(reply.segments[-1]) or parse_goals(reply.segments[-2])
        if root is None:
            self.close()
            raise StepperError("the statement printed no goal")
        self._root_state = reply.prompts[-1][1]
        self._line = []
        self.root = root
        return root

    def _send(self, sentences: list[str], step_timeout_s: float, wall_s: float) -> tuple[GoalState | None, str | None, int]:
        assert self._session is not None
        n = max(1, math.ceil(step_timeout_s))
        lines = [f"Timeout {n} {s}" if _WRAPPABLE.match(s) else s for s in sentences]
        reply = self._session.request(lines, wall_s)
        for seg in reply.segments:
            errs = errors_in(seg)
            if errs:
                return None, errs[0].text, reply.prompts[-1][1]
        return parse_goals(reply.segments[-1]), None, reply.prompts[-1][1]

    def _back_to(self, state_id: int, wall_s: float) -> None:
        assert self._session is not None
        reply = self._session.request([f"BackTo {state_id}."], wall_s)
        if errors_in(reply.segments[0]) or reply.prompts[0][1] != state_id:
            self._session.broken = True
            raise SessionBrokenError("BackTo did not restore the state")

    def _goto(self, path: tuple[str, ...], step_timeout_s: float, deadline: float) -> str | None:
        """Make `path` the executed line (BackTo the common prefix, replay the rest); an error text or None."""
        common = 0
        while common < min(len(path), len(self._line)) and self._line[common][0] == path[common]:
            common += 1
        self._line = self._line[:common]
        target = self._line[-1][1] if self._line else self._root_state
        self._back_to(target, max(0.1, deadline - time.monotonic()))
        for step in path[common:]:
            sentences = step_sentences(step)
            if isinstance(sentences, str):
                return sentences
            left = deadline - time.monotonic()
            if left <= 0:
                return "deadline"
            _, err, state_id = self._send(sentences, min(step_timeout_s, left), left + _GRACE_S)
            if err is not None:
                return f"replay failed: {err}"
            self._line.append((step, state_id))
        return None

    def try_step(self, path: tuple[str, ...], step: str, step_timeout_s: float, deadline: float) -> StepOutcome:
        """Run `step` after `path`; the session survives failures (and is restarted after a kill)."""
        t0 = time.monotonic()
        sentences = step_sentences(step)
        if isinstance(sentences, str):
            return StepOutcome(None, sentences)
        try:
            if self._session is None or not self._session.healthy():
                self._restart(deadline)
            why = self._goto(path, step_timeout_s, deadline)
            if why is not None:
                return StepOutcome(None, why, time.monotonic() - t0)
            left = deadline - time.monotonic()
            if left <= 0:
                return StepOutcome(None, "deadline", time.monotonic() - t0)
            timeout = min(step_timeout_s, left)
            state, err, state_id = self._send(sentences, timeout, min(left, timeout + _GRACE_S))
        except (SessionBrokenError, ProcessTimeoutError, ProcessDiedError, OutputTooLargeError, StepperError) as exc:
            self._kill()
            return StepOutcome(None, f"{type(exc).__name__}: {exc}", time.monotonic() - t0)
        if err is None and state is not None:
            self._line.append((step, state_id))
        return StepOutcome(state, err if err else (None if state else "no goal listing"), time.monotonic() - t0)

    def _restart(self, deadline: float) -> None:
        self._kill()
        self.restarts += 1
        left = deadline - time.monotonic()
        if left <= 0:
            raise ProcessTimeoutError("no time left to restart")
        self.open(left)

    def _kill(self) -> None:
        if self._session is not None:
            self._session.close()
        self._session = None
        self._line = []

    def close(self) -> None:
        self._kill()


__all__ = ["ProofStepper", "StepOutcome", "StepperError", "step_sentences"]
