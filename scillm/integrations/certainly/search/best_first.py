"""Best-first search over Coq goal states, driven by any number of step proposers.

A state is what coqtop prints after a path of steps; states are hashed so a
state reached twice is expanded once. The frontier is ordered by
`goal_weight * goals + size_weight * size + depth_weight * depth - used_weight * used`
(`used`: the state's hypotheses that a step of the path names, so a path that
works with the givens is preferred to one that only restates the goal), and each
state's ranked steps are tried lazily: the k-th step of a state costs
`rank_weight * k` more, so a fresh child's first steps come before a parent's
long tail. The first path that leaves no goal is joined into one script and
handed to `verify` (the loop's sound check); a rejected script does not stop
the search. Everything runs in one warm session per problem (`ProofStepper`),
each step through the per-loop core gate.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from scillm.integrations.certainly.checkers.coq_session import CoqBinaries, find_coq
from scillm.integrations.certainly.models import Problem
from scillm.integrations.certainly.search.gate import core_gate
from scillm.integrations.certainly.search.goals import GoalState
from scillm.integrations.certainly.search.libraries import with_imports
from scillm.integrations.certainly.search.stepper import ProofStepper, StepperError
from scillm.integrations.certainly.search.tactics import is_heavy

Verifier = Callable[[str], Awaitable[bool]]
_WORD = re.compile(r"[A-Za-z_][\w']*")


@runtime_checkable
class StepProposer(Protocol):
    """Suggests the next steps for one goal state (an offline library, an LLM, ...)."""

    name: str

    async def next_tactics(self, problem: Problem, state: GoalState, path: tuple[str, ...], n: int) -> list[str]:
        """Up to `n` candidate next steps (tactic sentences) for `state`, reached by `path`."""
        ...


@dataclass(frozen=True)
class SearchConfig:
    """Search limits and the state score's weights."""

    step_timeout_s: float = 2.0
    heavy_timeout_s: float = 4.0
    max_depth: int = 14
    tactics_per_state: int = 80
    goal_weight: float = 3.0
    size_weight: float = 1.0 / 400
    depth_weight: float = 0.2
    rank_weight: float = 0.15
    used_weight: float = 0.3


class SearchResult(BaseModel):
    """What a search found, and how much it explored."""

    model_config = ConfigDict(frozen=True)

    status: Literal["proved", "failed", "timeout", "error"]
    proof: str | None = None
    steps: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()
    expansions: int = 0
    attempts: int = 0
    states: int = 0
    rejected_scripts: int = 0
    time_s: float = 0.0
    message: str | None = None


@dataclass
class _Node:
    path: tuple[str, ...]
    state: GoalState
    score: float
    steps: list[str] | None = None
    next: int = 0
    origins: dict[str, str] = field(default_factory=dict)


def hypotheses_used(state: GoalState, path: tuple[str, ...]) -> int:
    """How many of the state's hypothesis names some step of `path` mentions."""
    words = {w for step in path for w in _WORD.findall(step)}
    return sum(1 for name in set(state.names()) if name in words)


def _score(state: GoalState, path: tuple[str, ...], cfg: SearchConfig) -> float:
    return (cfg.goal_weight * state.count + cfg.size_weight * state.size + cfg.depth_weight * len(path)
            - cfg.used_weight * hypotheses_used(state, path))


async def _steps_for(problem: Problem, node: _Node, proposers: Sequence[StepProposer], cfg: SearchConfig) -> list[str]:
    lists = []
    for proposer in proposers:
        try:
            lists.append(await proposer.next_tactics(problem, node.state, node.path, cfg.tactics_per_state))
        except Exception:  # noqa: BLE001  fault boundary: one proposer's fault (an LLM API error) must not end the search
            lists.append([])
    merged: list[str] = []
    for group in itertools.zip_longest(*lists):
        merged.extend(s for s in group if isinstance(s, str) and s.strip())
    return list(dict.fromkeys(merged))[: cfg.tactics_per_state]


async def best_first_search(
    problem: Problem,
    proposers: Sequence[StepProposer],
    *,
    deadline: float,
    imports: tuple[str, ...] = (),
    config: SearchConfig | None = None,
    verify: Verifier | None = None,
    binaries: CoqBinaries | None = None,
) -> SearchResult:
    """Search for a proof of `problem` (its header extended by `imports`) until `deadline` (monotonic)."""
    cfg = config or SearchConfig()
    t0 = time.monotonic()
    bins = binaries or find_coq()
    if bins is None:
        return SearchResult(status="error", imports=imports, message="coqtop is not available")
    target = with_imports(problem, imports)
    stepper = ProofStepper(target, bins)
    gate = core_gate()
    counts = {"expansions": 0, "attempts": 0, "rejected": 0}

    def result(status: Literal["proved", "failed", "timeout", "error"], **kw: object) -> SearchResult:
        return SearchResult(status=status, imports=imports, expansions=counts["expansions"],
                            attempts=counts["attempts"], states=len(seen), rejected_scripts=counts["rejected"],
                            time_s=round(time.monotonic() - t0, 3), **kw)  # type: ignore[arg-type]

    seen: set[str] = set()
    try:
        async with gate:
            try:
                root = await asyncio.to_thread(stepper.open, max(0.5, deadline - time.monotonic()))
            except StepperError as exc:
                return result("error", message=f"the problem does not open: {exc}")
        seen.add(root.key())
        tie = itertools.count()
        root_score = _score(root, (), cfg)
        frontier: list[tuple[float, int, _Node]] = [(root_score, next(tie), _Node((), root, root_score))]
        while frontier:
            if deadline - time.monotonic() <= 0.05:
                return result("timeout", message="the search ran out of time")
            priority, _, node = heapq.heappop(frontier)
            if node.steps is None:
                counts["expansions"] += 1
                node.steps = await _steps_for(target, node, proposers, cfg)
            if node.next >= len(node.steps):
                continue
            step = node.steps[node.next]
            node.next += 1
            if node.next < len(node.steps):
                heapq.heappush(frontier, (priority + cfg.rank_weight, next(tie), node))
            timeout = cfg.heavy_timeout_s if is_heavy(step) else cfg.step_timeout_s
            counts["attempts"] += 1
            async with gate:
                outcome = await asyncio.to_thread(stepper.try_step, node.path, step, timeout, deadline)
            state = outcome.state
            if state is None:
                continue
            path = (*node.path, step)
            if state.solved:
                proof = "\n".join(path)
                if verify is None or await verify(proof):
                    return result("proved", proof=proof, steps=path)
                counts["rejected"] += 1
                continue
            key = state.key()
            if key in seen or len(path) >= cfg.max_depth:
                continue
            seen.add(key)
            score = _score(state, path, cfg)
            heapq.heappush(frontier, (score, next(tie), _Node(path, state, score)))
        return result("failed", message="every reachable state was expanded")
    finally:
        await asyncio.to_thread(stepper.close)


__all__ = ["SearchConfig", "SearchResult", "StepProposer", "Verifier", "best_first_search", "hypotheses_used"]
