"""Tactic families measured on miniF2F, each on a small honest statement only that family proves."""

from __future__ import annotations

import time

import pytest

from scillm.integrations.certainly.models import Problem
from scillm.integrations.certainly.search import (
    LibraryStepProposer,
    best_first_search,
    installed_coq_libraries,
    search_imports,
)
from scillm.integrations.certainly.search.best_first import SearchConfig, SearchResult

REALS = "Require Import Reals.\nOpen Scope R_scope."


def _problem(statement: str, header: str = "", decls: str = "") -> Problem:
    return Problem(header=header, decls=decls, statement=statement, theorem_name="t")


async def _search(problem: Problem, seconds: float = 120.0) -> SearchResult:
    return await best_first_search(problem, [LibraryStepProposer()], deadline=time.monotonic() + seconds,
                                   imports=search_imports(problem),
                                   config=SearchConfig(step_timeout_s=8.0, heavy_timeout_s=16.0))


@pytest.mark.needs_coq
@pytest.mark.skipif(not installed_coq_libraries().get("coinor-csdp"),
                    reason="needs Debian coinor-csdp (apt-get install coinor-csdp) for psatz")
async def test_psatz_runs_csdp_inside_the_prover_sandbox() -> None:
    # 9 * (a - 2 z)^2 >= 0: no square of a variable, sum or difference gives it to nra; psatz finds it,
    # but only when csdp's temporary files can be written (the sandbox's root is read-only).
    found = await _search(_problem("forall z a : R, 36 * (a * z) - 9 * a^2 <= 36 * z^2", REALS))
    assert found.status == "proved", found
    assert found.proof is not None and "psatz" in found.proof
