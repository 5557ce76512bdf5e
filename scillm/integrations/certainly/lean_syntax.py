"""Recognise a requirement written in Lean 4 syntax, so it goes to Lean instead of failing in Coq.

A heuristic for routing only (never for a verdict): Lean idioms such as
`theorem … := by`, `Nat`/`ℕ`, `∀ n : ℕ,`, `by simp`, `import Mathlib` score
for Lean; Coq idioms (`forall`, `nat`, `Proof.`, `Qed.`, `Require Import`)
score against. A bare lemma name (`Nat.add_comm`) is left alone: both
libraries have such names and the lemma lookup decides.
"""

from __future__ import annotations

import re

_LEAN = [re.compile(p) for p in (
    r"\btheorem\s+\w[\w.']*[^:]*:.*:=",
    r":=\s*by\b",
    r"\bNat\b(?!\.\w+$)",
    r"[ℕℤℚℝℂ]",
    r"∀\s*[\w\s]+(:\s*[^,]+)?,",
    r"\bby\s+(simp|omega|norm_num|decide|linarith|nlinarith|ring|exact|intro|intros|induction|rfl|aesop)\b",
    r"\bimport\s+Mathlib\b",
    r"\b(Finset|Real|Int|Rat)\.\w+",
    r"\bfun\s+\w+\s*↦",
)]
_COQ = [re.compile(p) for p in (
    r"\bforall\b", r"\bexists\b", r"\bnat\b", r"\bProof\.", r"\bQed\.", r"\bTheorem\b", r"\bLemma\b",
    r"\bRequire\s+Import\b", r"\bZ\b", r"%Z\b", r"\bR\b",
)]


def looks_like_lean(text: str) -> bool:
    """True when `text` reads as a Lean 4 statement or theorem rather than Coq or English."""
    stripped = text.strip()
    if not stripped or re.fullmatch(r"[\w.']+", stripped):
        return False
    lean = sum(bool(p.search(stripped)) for p in _LEAN)
    coq = sum(bool(p.search(stripped)) for p in _COQ)
    return lean > coq and lean >= 1


__all__ = ["looks_like_lean"]
