"""LLM-backed proposer: a model proposes, repairs, formalises and explains.

The model is reached through the `Completion` it is given (or the one the
caller scoped), so this engine module never imports an LLM client.

Prompts are versioned files in `certainly/prompts/` (first line `version: name/N`,
then a `string.Template` body), so a run manifest can name the exact prompts.
Replies are stripped to the proof block before the checker sees them.
"""

from __future__ import annotations

import asyncio
from importlib import resources
from string import Template
from typing import Any

from scillm.completion_protocol import Completion, resolve
from scillm.integrations.certainly.models import CheckResult, Problem
from scillm.integrations.certainly.proposers.base import Candidate
from scillm.integrations.certainly.proposers.extract import extract_proof, extract_statement

_PROMPTS = ("propose", "repair", "formalize", "explain", "step")


def load_prompt(name: str) -> tuple[str, Template]:
    """(version, template) of a packaged prompt file."""
    if name not in _PROMPTS:
        raise ValueError(f"unknown prompt {name!r}; choose one of {_PROMPTS}")
    text = resources.files("scillm.integrations.certainly").joinpath(f"prompts/{name}.txt").read_text("utf-8")
    first, _, body = text.partition("\n")
    version = first.removeprefix("version:").strip()
    return version, Template(body)


def prompt_versions() -> dict[str, str]:
    """Every prompt's version, for the run manifest."""
    return {name: load_prompt(name)[0] for name in _PROMPTS}


def _theorem_text(problem: Problem) -> str:
    if problem.backend == "coq":
        return f"{problem.keyword} {problem.theorem_name} : {problem.statement}."
    return f"theorem {problem.theorem_name} : {problem.statement} := by"


def _fields(problem: Problem) -> dict[str, str]:
    coq = problem.backend == "coq"
    return {
        "prover": "Coq" if coq else "Lean 4",
        "lang": "coq" if coq else "lean",
        "header": problem.header or "(nothing)",
        "decls": problem.decls,
        "theorem": _theorem_text(problem),
        "where": "between `Proof.` and `Qed.`" if coq else "after `:= by`",
        "forbidden": "Admitted, admit, Axiom or any vernacular command" if coq else "sorry, admit or axiom",
    }


def _result_fields(result: CheckResult) -> dict[str, str]:
    errors = [m.text for m in result.messages if m.severity == "error"] or [m.text for m in result.messages]
    goals = "\n".join(result.goals[:3])
    return {
        "error_class": result.error_class or result.status,
        "messages": "\n".join(errors[:3])[:2000] or "(no message)",
        "goals": f"Goals left open:\n{goals[:2000]}\n" if goals else "",
    }


class LLMProposer:
    """Proposes and repairs proofs with one model; sampling settings apply to every call.

    `completion` is the LLM call (see `scillm.completion_protocol`); None
    uses the one the caller scoped when a prompt is sent.
    """

    name = "llm"

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        temperature: float = 0.7,
        max_tokens: int = 1024,
        timeout_s: float = 120.0,
        deterministic: bool = False,
        extra: dict[str, Any] | None = None,
        completion: Completion | None = None,
    ) -> None:
        if not isinstance(model, str) or not model.strip():
            raise ValueError("LLMProposer needs a LiteLLM model string, e.g. 'openai/gpt-4o-mini'")
        self.model: str | None = model
        self.api_base = api_base
        self.api_key = api_key
        self.temperature = 0.0 if deterministic else temperature
        self.max_tokens = max_tokens
        self.timeout_s = timeout_s
        self.deterministic = deterministic
        self.extra = dict(extra or {})
        self.calls = 0
        self._completion = completion

    async def _ask(self, prompt: str) -> str:
        kwargs: dict[str, Any] = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "timeout": self.timeout_s,
            **self.extra,
        }
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self.api_key:
            kwargs["api_key"] = self.api_key
        self.calls += 1
        complete = resolve(self._completion, model=self.model)
        return await complete(model=str(self.model), messages=[{"role": "user", "content": prompt}], **kwargs)

    async def _sample(self, prompt: str, n: int, origin: str, problem: Problem) -> list[Candidate]:
        count = 1 if self.deterministic else max(n, 0)
        replies = await asyncio.gather(*(self._ask(prompt) for _ in range(count)))
        proofs = [extract_proof(r, problem.backend) for r in replies]
        return [Candidate(proof=p, origin=origin) for p in proofs if p.strip()]

    async def propose(self, problem: Problem, n: int) -> list[Candidate]:
        _, template = load_prompt("propose")
        return await self._sample(template.safe_substitute(_fields(problem)), n, "llm", problem)

    async def repair(
        self, problem: Problem, failed_proof: str, check_result: CheckResult, n: int
    ) -> list[Candidate]:
        _, template = load_prompt("repair")
        prompt = template.safe_substitute({**_fields(problem), **_result_fields(check_result),
                                           "failed_proof": failed_proof})
        return await self._sample(prompt, n, f"llm:repair:{check_result.error_class or 'other'}", problem)

    async def formalize(self, requirement: str, problem_header: str, backend: str = "coq") -> str:
        """A formal statement for a plain-English requirement."""
        _, template = load_prompt("formalize")
        fields = _fields(Problem(backend="coq" if backend == "coq" else "lean", header=problem_header,
                                 decls="", theorem_name="certainly_goal", statement="True", keyword="Theorem"))
        reply = await self._ask(template.safe_substitute({**fields, "requirement": requirement}))
        return extract_statement(reply, "coq" if backend == "coq" else "lean")

    async def explain(self, problem: Problem, failed_proof: str, check_result: CheckResult) -> str | None:
        """A short human explanation of why the best failed proof does not check."""
        _, template = load_prompt("explain")
        prompt = template.safe_substitute({**_fields(problem), **_result_fields(check_result),
                                           "failed_proof": failed_proof})
        text = (await self._ask(prompt)).strip()
        return text or None


__all__ = ["LLMProposer", "load_prompt", "prompt_versions"]
