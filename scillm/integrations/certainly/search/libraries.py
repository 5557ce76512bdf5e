"""Which decision-procedure libraries a search may add before the theorem, and which are installed.

The search may extend a problem's header with `Require Import` of trusted
standard or Debian libraries so that `lia`/`lra`/`nia`/`psatz` are always in
reach; the independent verdict re-checks the ORIGINAL statement with those
imports, so an import can never change what is proved. The trusted list
comes from `checkers/trusted.py` when that module is present.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import shutil
import subprocess

from scillm.integrations.certainly.models import Problem
from scillm.integrations.certainly.search.modpow import ZPOW_IMPORT

#: Logical module paths this package may add; filtered by the checkers' trusted list when it exists.
SEARCH_IMPORTS: tuple[str, ...] = (
    "Coq.micromega.Lia", "Coq.micromega.Lra", "Coq.micromega.Psatz", "Coq.ZArith.ZArith", ZPOW_IMPORT,
)
_FALLBACK_TRUSTED = frozenset({
    "Coq.micromega.Lia", "Coq.micromega.Lra", "Coq.micromega.Psatz", "Coq.ZArith.ZArith",
    "Coq.Reals.Reals", "Coq.QArith.QArith", "Coq.Arith.Arith",
})
_HAMMER = ("Hammer.Tactics.Tactics", "Hammer.Tactics")
#: Debian package -> a file whose presence under Coq's `user-contrib` shows it is installed.
DEBIAN_LIBRARIES: dict[str, str] = {
    "libcoq-coquelicot": "Coquelicot/Coquelicot.vo",
    "libcoq-mathcomp-ssreflect": "mathcomp/ssreflect/ssreflect.vo",
    "libcoq-mathcomp-algebra": "mathcomp/algebra/ssralg.vo",
    "libcoq-hammer": "Hammer/Tactics/Tactics.vo",
    "libcoq-interval": "Interval/Tactic.vo",
    "libcoq-flocq": "Flocq/Core/Core.vo",
}


_OPEN_SCOPE = re.compile(r"^\s*(?:Local\s+|Global\s+)?Open\s+Scope\s+([A-Za-z_][\w]*)\s*\.", re.M)


def trusted_imports() -> frozenset[str]:
    """The logical paths a search may add (the checkers' `TRUSTED_IMPORTS` when that module exists)."""
    try:
        module = importlib.import_module("scillm.integrations.certainly.checkers.trusted")
    except ImportError:
        return _FALLBACK_TRUSTED
    found = getattr(module, "TRUSTED_IMPORTS", None)
    return frozenset(found) if isinstance(found, frozenset) else _FALLBACK_TRUSTED


@functools.lru_cache(maxsize=1)
def _coq_lib_dir() -> str | None:
    if shutil.which("coqc") is None:
        return None
    try:
        out = subprocess.run(["coqc", "-where"], capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


def installed_coq_libraries() -> dict[str, bool]:
    """Debian package name -> whether it is installed for this Coq (for `scillm doctor` and test skips)."""
    return dict(_installed())


@functools.lru_cache(maxsize=1)
def _installed() -> dict[str, bool]:
    root = _coq_lib_dir()
    found: dict[str, bool] = {}
    for package, marker in DEBIAN_LIBRARIES.items():
        found[package] = root is not None and os.path.isfile(os.path.join(root, "user-contrib", marker))
    found["coinor-csdp"] = shutil.which("csdp") is not None
    return found


def search_imports(problem: Problem) -> tuple[str, ...]:
    """The trusted imports worth adding for `problem`: its decision procedures, minus what it loads already."""
    trusted = trusted_imports()
    wanted = [m for m in SEARCH_IMPORTS if m in trusted]
    if installed_coq_libraries().get("libcoq-hammer"):
        wanted += [m for m in _HAMMER if m in trusted][:1]
    return tuple(wanted)


def _import_lines(problem: Problem, imports: tuple[str, ...]) -> list[str]:
    # Importing re-opens the libraries' scopes; re-open the header's own so its notations keep precedence.
    scopes = _OPEN_SCOPE.findall(problem.header)
    return ["Require Import " + " ".join(imports) + ".", *(f"Open Scope {sc}." for sc in scopes)]


def with_imports(problem: Problem, imports: tuple[str, ...]) -> Problem:
    """`problem` with `imports` loaded by its header and imported just before the theorem.

    The header gains `Require <imports>.` (so the header-keyed pool keeps one
    warm session with them loaded); the decls gain `Require Import <imports>.`
    after them, then the header's `Open Scope`s again. The decls are thus
    elaborated as before, and only the theorem sees the imported names.
    """
    if not imports:
        return problem
    load = "Require " + " ".join(imports) + "."
    header = f"{problem.header.rstrip()}\n{load}" if problem.header.strip() else load
    decls = "\n".join(p for p in (problem.decls.strip(), *_import_lines(problem, imports)) if p)
    return problem.model_copy(update={"header": header, "decls": decls})


def meaning_probe(problem: Problem, imports: tuple[str, ...]) -> tuple[Problem, str]:
    """A problem and proof that check exactly when `imports` leave the statement's meaning unchanged.

    Laid out like `with_imports`, with the statement also elaborated just
    before the import (as a definition); `eq_refl` type-checks only when the
    two elaborations are convertible, so a proof of the extended problem is a
    proof of the statement as the original context reads it.
    """
    stmt = problem.statement.strip()
    extended = with_imports(problem, imports)
    decls = "\n".join(p for p in (
        problem.decls.strip(),
        f"Definition scillm_original_statement : Prop := ({stmt}).",
        *_import_lines(problem, imports),
    ) if p)
    probe = problem.model_copy(update={"header": extended.header, "decls": decls,
                                       "theorem_name": "scillm_same_statement", "keyword": "Theorem",
                                       "statement": f"scillm_original_statement = ({stmt})"})
    return probe, "exact eq_refl."


def validate_imports(imports: tuple[str, ...]) -> tuple[str, ...]:
    """`imports` when every entry is trusted, else ValueError naming the first that is not."""
    trusted = trusted_imports()
    for name in imports:
        if name not in trusted:
            raise ValueError(f"import {name!r} is not a trusted library")
    return imports


__all__ = ["DEBIAN_LIBRARIES", "SEARCH_IMPORTS", "installed_coq_libraries", "meaning_probe", "search_imports",
           "trusted_imports", "validate_imports", "with_imports"]
