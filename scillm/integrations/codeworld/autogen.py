"""Variants written by an LLM: draft `n`, then keep the best and ask for a better one.

Every draft is evaluated in the sandbox like a given variant. The loop stops
after `iterations` rounds, or earlier on a plateau: the round's best
aggregate beats none of the recent ones stored for the session
(`store.py`), or every metric is already perfect.
"""

from __future__ import annotations

import asyncio
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from scillm.completion_protocol import Completion, resolve
from scillm.errors import InvalidRequestError
from scillm.integrations.codeworld.engine import Evaluator
from scillm.integrations.codeworld.judge import judge_runs
from scillm.integrations.codeworld.models import AutogenConfig, CaseRun, CodeTask, CodeworldArgs, ItemResult
from scillm.integrations.codeworld.settings import CodeworldSettings
from scillm.integrations.codeworld.store import PlateauStore, is_plateau

PROMPT_VERSION = "v1"
_FENCE = re.compile(r"```[ \t]*(?:python|py)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)
_PERFECT = 1.0 - 1e-9


@lru_cache(maxsize=4)
def _prompt(name: str) -> str:
    return resources.files("scillm.integrations.codeworld").joinpath(f"prompts/{name}_{PROMPT_VERSION}.txt").read_text()


def extract_code(text: str, entry: str) -> str | None:
    """The first fenced block that defines `entry` (else the first block, else bare code), or None."""
    blocks = [str(b).strip() for b in _FENCE.findall(text or "")]
    for block in blocks:
        if re.search(rf"^\s*(async\s+)?def\s+{re.escape(entry)}\s*\(", block, re.MULTILINE):
            return block + "\n"
    if blocks and blocks[0]:
        return blocks[0] + "\n"
    if re.search(rf"^def\s+{re.escape(entry)}\s*\(", text or "", re.MULTILINE):
        return text.strip() + "\n"
    return None


def _cases_text(task: CodeTask, limit: int = 5, width: int = 300) -> str:
    lines = []
    for c in task.cases[:limit]:
        call = ", ".join(json.dumps(a, default=repr) for a in c.args)
        line = f"{task.entry}({call}) -> {json.dumps(c.expected, default=repr)}"
        lines.append(line if len(line) <= width else line[: width - 3] + "...")
    if len(task.cases) > limit:
        lines.append(f"... and {len(task.cases) - limit} more hidden cases")
    return "\n".join(lines)


async def ask_model(cfg: AutogenConfig, prompt: str, settings: CodeworldSettings,
                    completion: Completion | None = None) -> str:
    """One chat completion to the endpoint the server declared for `cfg.model`, through `completion`."""
    endpoint = settings.endpoint(cfg.model or "")
    if endpoint is None:
        raise InvalidRequestError(f"autogenerate.model: {cfg.model!r} is not a model alias this server declares")
    kwargs: dict[str, Any] = {
        "temperature": cfg.temperature,
        "max_tokens": cfg.max_tokens,
        "timeout": cfg.timeout_s,
    }
    if endpoint.api_base is not None:
        kwargs["api_base"] = endpoint.api_base
    if endpoint.api_key is not None:
        kwargs["api_key"] = endpoint.api_key.get_secret_value()
    if endpoint.custom_llm_provider is not None:
        kwargs["custom_llm_provider"] = endpoint.custom_llm_provider
    complete = resolve(completion)
    return await complete(model=endpoint.model, messages=[{"role": "user", "content": prompt}], **kwargs)


class _Loop:
    """State of one item's generate-and-improve loop."""

    def __init__(self, evaluator: Evaluator, index: int, task: CodeTask, args: CodeworldArgs,
                 store: PlateauStore | None, settings: CodeworldSettings, completion: Completion | None) -> None:
        self.evaluator = evaluator
        self.settings = settings
        self.completion = completion
        self.index = index
        self.task = task
        self.args = args
        self.store = store
        self.session = f"{args.session_id}:{task.task_id}" if args.session_id else None
        self.local_history: list[float] = []
        self.variants = dict(task.variants)
        self.generated: dict[str, str] = {}
        self.runs: dict[str, list[CaseRun]] = {}
        self.notes: list[str] = []

    async def _draft(self, vid: str, prompt: str) -> str | None:
        """The model's code for one prompt, or None with a note saying why there is none."""
        try:
            text = await ask_model(self.args.autogenerate, prompt, self.settings, self.completion)
        except InvalidRequestError:
            raise
        except Exception as exc:  # noqa: BLE001  a remote LLM failure ends this draft, never the item
            self.notes.append(f"{vid}: model call failed: {type(exc).__name__}: {exc}"[:500])
            return None
        code = extract_code(text, self.task.entry)
        if code is None:
            self.notes.append(f"{vid}: the reply had no code block")
        return code

    def _fresh(self, vid: str) -> str:
        """`vid`, or `vid-2`, `vid-3`... when a given variant already has that id."""
        n, out = 1, vid
        while out in self.variants:
            n += 1
            out = f"{vid}-{n}"
        return out

    async def _add(self, prompts: dict[str, str]) -> list[str]:
        """Ask for every prompt at once, then evaluate the drafts that came back; returns their ids."""
        prompts = {self._fresh(vid): p for vid, p in prompts.items()}
        codes = await asyncio.gather(*(self._draft(vid, p) for vid, p in prompts.items()))
        added = [vid for vid, code in zip(prompts, codes, strict=True) if code is not None]
        for vid, code in zip(prompts, codes, strict=True):
            if code is not None:
                self.variants[vid] = code
                self.generated[vid] = code
        if added:
            current = self.task.model_copy(update={"variants": self.variants})
            self.runs.update(await self.evaluator.run_all(current, added))
        return added

    async def _judge(self) -> ItemResult:
        current = self.task.model_copy(update={"variants": self.variants})
        return await judge_runs(self.evaluator, self.index, current, self.runs, self.args)

    def _history(self) -> list[float]:
        if self.store is not None and self.session is not None:
            return self.store.recent(self.session, limit=10)
        return list(self.local_history)

    def _record(self, value: float) -> None:
        self.local_history.append(value)
        if self.store is not None and self.session is not None:
            self.store.record(self.session, value)

    async def run(self) -> tuple[ItemResult, dict[str, str]]:
        cfg = self.args.autogenerate
        current = self.task.model_copy(update={"variants": self.variants})
        if self.variants:
            self.runs.update(await self.evaluator.run_all(current, list(self.variants)))
        if cfg.enabled:
            template = _prompt("generate")
            await self._add({
                f"gen{i}": template.format(entry=self.task.entry, task=self.task.task or "(no description)",
                                           cases=_cases_text(self.task), number=i + 1, total=cfg.n)
                for i in range(cfg.n)
            })
        if not self.variants:
            raise InvalidRequestError("no code variants: none given and the model produced none; " + "; ".join(self.notes))
        result = await self._judge()
        rounds: list[float] = [result.ranking[0].aggregate]
        stopped = "iterations"
        plateau = False
        for r in range(self.args.iterations):
            best = result.ranking[0]
            if best.aggregate >= _PERFECT:
                stopped = "perfect"
                break
            if is_plateau(self._history(), best.aggregate):
                stopped, plateau = "plateau", True
                break
            self._record(best.aggregate)
            prompt = _prompt("improve").format(
                entry=self.task.entry, task=self.task.task or "(no description)", cases=_cases_text(self.task),
                code=self.variants[best.variant_id].rstrip(), scores=json.dumps(best.scores, sort_keys=True),
                failures="\n".join(best.errors) or "none",
            )
            if not await self._add({f"imp{r}": prompt}):
                stopped = "model_failed"
                break
            result = await self._judge()
            rounds.append(result.ranking[0].aggregate)
        self._record(result.ranking[0].aggregate)
        result = result.model_copy(update={"autogen": {
            "model": cfg.model,
            "prompt_version": PROMPT_VERSION,
            "generated": list(self.generated),
            "rounds": rounds,
            "stopped": stopped,
            "plateau": plateau,
            "session_id": self.session,
            "store": self.store.backend if self.store is not None and self.session else None,
            "notes": self.notes,
        }})
        return result, self.generated


async def generate_and_improve(
    evaluator: Evaluator, index: int, task: CodeTask, args: CodeworldArgs, store: PlateauStore | None,
    settings: CodeworldSettings | None = None, completion: Completion | None = None,
) -> tuple[ItemResult, dict[str, str]]:
    """Run the autogenerate/iterations loop for one item; returns its result and the generated code.

    `completion` is the LLM call (None: the one scoped by `using_completion`).
    """
    return await _Loop(evaluator, index, task, args, store, settings or CodeworldSettings(), completion).run()


def needs_model(args: CodeworldArgs) -> bool:
    """Whether this call asks for LLM-written variants."""
    return args.autogenerate.enabled or args.iterations > 0


__all__ = ["PROMPT_VERSION", "ask_model", "extract_code", "generate_and_improve", "needs_model"]
