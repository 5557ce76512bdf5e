"""Divisibility goals restated as `E mod c = 0`, where the residue and modular-power steps apply.

`exists k, E = c * k` gets the witness `E / c` and leaves `E mod c = 0`
(Euclid's `E = c * (E / c) + E mod c` closes the rest with `lia`);
`Nat.divide c E` / `Z.divide c E` become `E mod c = 0` through the standard
`Nat.mod_divide` / `Z.mod_divide` (the side condition `c <> 0` by `lia`).
Everything here is pure text.
"""

from __future__ import annotations

import re

from scillm.integrations.certainly.search.goals import GoalState

_WITNESS = re.compile(r"^\(?exists\s+([A-Za-z_][\w']*)\s*(?::\s*(nat|Z))?\s*,\s*(.+?)\s*=\s*"
                      r"(?:(\d{1,6})\s*\*\s*\1|\1\s*\*\s*(\d{1,6}))\s*\)?\s*(%nat|%Z)?\s*$")
_DIVIDE = re.compile(r"^\(?(Nat|Z)\.divide\s+(\d{1,6}|\(\d{1,6}\))\s+")


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def divisibility_steps(state: GoalState) -> list[str]:
    """The `mod`-form of a divisibility conclusion (a witness `E / c` for `exists k, E = c * k`)."""
    concl = " ".join(state.conclusion.split())
    m = _WITNESS.match(concl)
    if m is not None and _balanced(m.group(3)):
        expr, c = m.group(3), m.group(4) or m.group(5)
        z = m.group(2) == "Z" or m.group(6) == "%Z"
        lib, scope = ("Z", "%Z") if z else ("Nat", "%nat")
        return [f"exists (({expr}) / {c}){scope}; enough ((({expr}) mod {c}){scope} = 0{scope}) by "
                f"(pose proof ({lib}.div_mod ({expr}) {c} ltac:(lia)); lia)."]
    d = _DIVIDE.match(concl)
    if d is not None:
        return [f"apply {d.group(1)}.mod_divide; try lia."]
    return []


__all__ = ["divisibility_steps"]
