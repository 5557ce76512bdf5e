"""Choose, per problem, the largest set of wanted imports that leaves the statement's meaning unchanged.

Importing a library can shadow a name the statement uses (ZArith's `floor`,
`eventually`, `Zplus`, ...). For each wanted set the guard checks
`meaning_probe` once through the checker (the statement elaborated before
and after the import must be convertible) and falls back to smaller sets,
down to no import at all, so an import can make a proof possible but never
change what is proved.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from scillm.integrations.certainly.models import CheckResult, Problem
from scillm.integrations.certainly.search.libraries import meaning_probe, validate_imports
from scillm.integrations.certainly.search.modpow import ZPOW_IMPORT

CheckFn = Callable[[Problem, str], Awaitable[CheckResult]]
_ZARITH = "Coq.ZArith.ZArith"


def fallbacks(wanted: tuple[str, ...]) -> list[tuple[str, ...]]:
    """`wanted`, then smaller sets (ZArith dropped first, then Zpow_facts, then one procedure at a time), then nothing."""
    out = [wanted, tuple(m for m in wanted if m != _ZARITH), tuple(m for m in wanted if m not in (_ZARITH, ZPOW_IMPORT))]
    out += [tuple(m for m in wanted if m.endswith(sfx)) for sfx in ((".Lia", ".Lra"), (".Lra",), (".Lia",))]
    out.append(())
    return list(dict.fromkeys(o for o in out))


class ImportGuard:
    """Caches, for one problem, which import sets keep the statement's meaning."""

    def __init__(self, problem: Problem, check: CheckFn) -> None:
        self.problem = problem
        self._check = check
        self._same: dict[tuple[str, ...], bool] = {}
        self._chosen: dict[tuple[str, ...], tuple[str, ...]] = {}

    async def same_meaning(self, imports: tuple[str, ...]) -> bool:
        if not imports:
            return True
        if imports not in self._same:
            probe, proof = meaning_probe(self.problem, imports)
            self._same[imports] = (await self._check(probe, proof)).ok
        return self._same[imports]

    async def safe(self, wanted: tuple[str, ...]) -> tuple[str, ...]:
        """The largest fallback of `wanted` (all trusted, else ValueError) that keeps the meaning."""
        validate_imports(wanted)
        if wanted not in self._chosen:
            chosen: tuple[str, ...] = ()
            for subset in fallbacks(wanted):
                if await self.same_meaning(subset):
                    chosen = subset
                    break
            self._chosen[wanted] = chosen
        return self._chosen[wanted]


__all__ = ["ImportGuard", "fallbacks"]
