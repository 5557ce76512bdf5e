"""Instantiate what the hypotheses and the goal quantify over: functional equations and function witnesses.

A hypothesis `H : forall x, f x = ...` says most when instantiated at the
points the problem is about: small constants (0, 1, -1, 2) and the
numerals of the goal. Each step poses all those instances of every
universally quantified equation at once and hands the lot to `lra`/`nra`
(or leaves them for the next step). A goal `exists g, (forall x, g x = E) -> ...`
names its witness itself: `exists (fun x => E)`. Everything here is pure text.
"""

from __future__ import annotations

import re

from scillm.integrations.certainly.search.goals import GoalState

_NUMERAL = re.compile(r"(?<![\w.'])(\d{1,4})(?![\w.'])")
_FORALL = re.compile(r"^forall\s+([A-Za-z_][\w']*)(?:\s*:\s*[A-Za-z_][\w.]*)?\s*,")
_FN_WITNESS = re.compile(r"^exists\s+([A-Za-z_][\w']*)\s*(?::\s*[^,]+?)?\s*,\s*\(\s*forall\s+([A-Za-z_][\w']*)"
                         r"(?:\s*:\s*[A-Za-z_][\w.]*)?\s*,\s*\1\s+\2\s*=\s*")


def _points(state: GoalState, real: bool) -> list[str]:
    base = ["0", "1", "(-1)", "2"] if real else ["0", "1", "2"]
    goal = [c for c in _NUMERAL.findall(state.conclusion) if c not in ("0", "1", "2")][:2]
    return base + goal


def _equations(state: GoalState) -> list[str]:
    """Hypotheses `forall x, ... = ...` of one bound variable (the functional equations)."""
    out = []
    for hyp in state.hypotheses:
        m = _FORALL.match(hyp.type)
        if m is None or " = " not in hyp.type:
            continue
        rest = hyp.type[m.end():].lstrip()
        if rest.startswith("forall"):
            continue
        out += list(hyp.names)
    return out


def instance_steps(state: GoalState, real: bool) -> list[str]:
    """Pose every functional equation at the problem's points, then close with `lra`/`nra` (or leave them)."""
    names = _equations(state)[:3]
    if not names:
        return []
    points = _points(state, real)
    poses = "; ".join(f"pose proof ({n} {p})" for n in names for p in points)
    closers = ["lra", "nra"] if real else ["lia", "nia"]
    return [f"{poses}; {c}." for c in closers] + [f"{poses}."]


def _balanced(text: str, start: int) -> str | None:
    """The text from `start` up to the `)` closing the parenthesis open there."""
    depth = 0
    for i in range(start, len(text)):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                return text[start:i].strip()
            depth -= 1
    return None


def function_witnesses(state: GoalState) -> list[str]:
    """`exists (fun x => E)` for a goal `exists g, (forall x, g x = E) -> ...`."""
    m = _FN_WITNESS.match(state.conclusion)
    if m is None:
        return []
    body = _balanced(state.conclusion, m.end())
    if not body:
        return []
    return [f"exists (fun {m.group(2)} => {body}).", "cbv beta in *."]


def product_splits(state: GoalState) -> list[str]:
    """A hypothesis `a * b = 0` split into its two cases (reals: `Rmult_integral`)."""
    out = []
    for hyp in state.hypotheses:
        if re.match(r"^.+\*.+=\s*0$", hyp.type) and "forall" not in hyp.type:
            out += [f"destruct (Rmult_integral _ _ {n}); nra." for n in hyp.names]
            out += [f"destruct (Rmult_integral _ _ {n})." for n in hyp.names]
    return out


__all__ = ["function_witnesses", "instance_steps", "product_splits"]
