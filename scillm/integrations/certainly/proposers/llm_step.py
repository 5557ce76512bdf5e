"""An LLM as a step proposer: it sees one goal state and suggests next tactics, so it can drive the search.

`best_first_search(problem, [LLMStepProposer(llm), LibraryStepProposer()])`
interleaves the model's steps with the offline library's at every state. The
model's reply is only text to lex: each line becomes one candidate step and
goes through the stepper's soundness whitelist before coqtop sees it.
"""

from __future__ import annotations

from scillm.integrations.certainly.models import Problem
from scillm.integrations.certainly.proposers.extract import extract_proof
from scillm.integrations.certainly.proposers.llm import LLMProposer, _fields, load_prompt
from scillm.integrations.certainly.search.goals import GoalState

_MAX_PROMPT_GOALS = 4000


def goal_text(state: GoalState) -> str:
    """The focused goal as coqtop shows it (hypotheses, rule, conclusion), then the other conclusions."""
    hyps = [f"  {', '.join(h.names)} : {h.type}" for h in state.hypotheses]
    lines = [*hyps, "  ============================", f"  {state.conclusion}"]
    lines += [f"goal {i} is: {g}" for i, g in enumerate(state.others, start=2)]
    return "\n".join(lines)[:_MAX_PROMPT_GOALS]


def parse_steps(reply: str, n: int) -> list[str]:
    """One step per line of the reply's proof block (list markers dropped), at most `n`."""
    body = extract_proof(reply, "coq")
    steps: list[str] = []
    for line in body.splitlines():
        text = line.strip().lstrip("-*+").strip()
        if text and text.endswith(".") and text not in steps:
            steps.append(text)
    return steps[: max(n, 0)]


class LLMStepProposer:
    """Next steps for a goal state from an `LLMProposer`'s model (one call per expanded state)."""

    name = "llm-step"

    def __init__(self, llm: LLMProposer, *, max_steps: int = 8) -> None:
        self.llm = llm
        self.max_steps = max_steps

    async def next_tactics(self, problem: Problem, state: GoalState, path: tuple[str, ...], n: int) -> list[str]:
        _, template = load_prompt("step")
        want = min(n, self.max_steps)
        prompt = template.safe_substitute({**_fields(problem), "path": "\n".join(path) or "(none yet)",
                                           "goals": goal_text(state), "n": str(want)})
        return parse_steps(await self.llm._ask(prompt), want)


__all__ = ["LLMStepProposer", "goal_text", "parse_steps"]
