"""What the verdict writes around a candidate: the trusted imports it tries first, and the standalone file.

Fewer imports only make a proof check faster or fail; they never change
what it proves, since the theorem's type is the problem's constant.
"""

from __future__ import annotations

import re

from scillm.integrations.certainly.checkers.coq_candidate import Candidate

#: A search import and the words of a proof that can need it. Only a first guess for speed: a proof that
#: does not check without the dropped imports is checked again with all of them.
_NEEDED_BY: dict[str, re.Pattern[str]] = {
    "Coq.micromega.Lia": re.compile(r"\b(?:lia|nia)\b"),
    "Coq.micromega.Lra": re.compile(r"\b(?:lra|nra)\b"),
    "Coq.micromega.Psatz": re.compile(r"\bpsatz\b"),
    "Coq.ZArith.ZArith": re.compile(r"Z"),
}


def first_guess(imports: list[str], cand: Candidate) -> list[str] | None:
    """`imports` without the decision procedures the proof never calls (loading fewer libraries is faster).

    None when nothing would be dropped. Fewer imports can make the proof
    fail to check, never prove a different statement: the theorem's type is
    the problem's constant whatever is imported.
    """
    text = "\n".join(s.text for s in cand.proof)
    kept = [m for m in imports if m not in _NEEDED_BY or _NEEDED_BY[m].search(text)]
    return kept if len(kept) < len(imports) else None


def standalone_file(cand: Candidate, header: str, imports: list[str]) -> str:
    """The verdict's proof as one file for a plain `coqc`: the statement is read with the header and decls alone,
    as the verdict read it, so imports the proof needs come after it (they could change how it reads)."""
    stmt = cand.problem.statement.strip()
    parts = [header.strip(), cand.problem.decls.strip()]
    if imports:
        parts += [f"Definition {cand.name}_statement : Type := ({stmt}).",
                  *(f"Require Import {m}." for m in imports),
                  f"Theorem {cand.name} : {cand.name}_statement.", "Proof.", f"unfold {cand.name}_statement."]
    else:
        parts += [f"Theorem {cand.name} : {stmt}.", "Proof."]
    parts += [s.text for s in cand.proof]
    parts.append("Qed.")
    return "\n".join(p for p in parts if p) + "\n"


__all__ = ["first_guess", "standalone_file"]
