"""The offline step proposer: the tactic library, with a user's own tactics tried first at the root."""

from __future__ import annotations

import re

from scillm.integrations.certainly.models import Problem
from scillm.integrations.certainly.search.goals import GoalState
from scillm.integrations.certainly.search.tactics import tactics_for

_GROWS = re.compile(r"^(?:pose proof|assert \()")
_CLOSES = re.compile(r"\b(?:lra|nra|lia|nia|psatz R 2)\.$")


class LibraryStepProposer:
    """Ranked next steps from `search/tactics.py`; `seeds` (e.g. the item's tactics) go first at the root."""

    name = "library"

    def __init__(self, seeds: list[str] | None = None) -> None:
        self.seeds = [s if s.rstrip().endswith(".") else s.rstrip() + "." for s in (seeds or []) if s.strip()]

    async def next_tactics(self, problem: Problem, state: GoalState, path: tuple[str, ...], n: int) -> list[str]:
        own = self.seeds if not path else []
        # A fact-adding step already on the path only grows the state again; closers must repeat per goal.
        taken = {s for s in path if _GROWS.match(s) and not _CLOSES.search(s)}
        steps = [s for s in tactics_for(problem, state, len(path)) if s not in taken]
        return list(dict.fromkeys([*own, *steps]))[: max(n, 0)]


__all__ = ["LibraryStepProposer"]
