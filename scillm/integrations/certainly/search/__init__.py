"""Stepwise best-first proof search over Coq goal states, its tactic library and trusted imports."""

from scillm.integrations.certainly.search.best_first import (
    SearchConfig,
    SearchResult,
    StepProposer,
    Verifier,
    best_first_search,
)
from scillm.integrations.certainly.search.libraries import (
    installed_coq_libraries,
    search_imports,
    with_imports,
)
from scillm.integrations.certainly.search.library_proposer import LibraryStepProposer

__all__ = ["LibraryStepProposer", "SearchConfig", "SearchResult", "StepProposer", "Verifier", "best_first_search",
           "installed_coq_libraries", "search_imports", "with_imports"]
