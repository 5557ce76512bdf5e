"""Pure text logic: read the goals coqtop prints after a tactic into a hashable state.

coqtop `-emacs` prints, after each tactic, `N goals (ID k)`, the first goal's
hypotheses, a `====` rule, its conclusion, then `goal i (ID k) is:` and the
other conclusions; `No more goals.` when the proof is complete. Goal ids
change between equal states, so they are dropped before hashing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from scillm.integrations.certainly.checkers.diagnostics import split_tags

_COUNT = re.compile(r"^(\d+) goals?(?: \(ID \d+\))?\s*$", re.M)
_OTHER = re.compile(r"^goal \d+ \(ID \d+\) is:\s*$", re.M)
_RULE = re.compile(r"^\s*=+\s*$", re.M)
_HYP = re.compile(r"^  ([A-Za-z_][\w',\s]*?) : (.*)$")
_ID = re.compile(r"\(ID \d+\)")


@dataclass(frozen=True)
class Hypothesis:
    """One hypothesis line of the focused goal (several names may share a type)."""

    names: tuple[str, ...]
    type: str


@dataclass(frozen=True)
class GoalState:
    """The goals after a tactic: the focused goal in full, the others' conclusions."""

    count: int
    hypotheses: tuple[Hypothesis, ...] = ()
    conclusion: str = ""
    others: tuple[str, ...] = ()
    text: str = field(default="", repr=False)

    @property
    def solved(self) -> bool:
        return self.count == 0

    @property
    def size(self) -> int:
        return len(self.text)

    def key(self) -> str:
        """A digest that equal states share (ids and spacing dropped)."""
        return hashlib.sha256(" ".join(self.text.split()).encode()).hexdigest()[:24]

    def names(self) -> list[str]:
        return [n for h in self.hypotheses for n in h.names]

    def variables(self, type_name: str) -> list[str]:
        """Hypothesis names whose type is exactly `type_name` (e.g. `nat`)."""
        return [n for h in self.hypotheses if h.type.strip() == type_name for n in h.names]


def _join_wrapped(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if out and line.startswith("   ") and not _HYP.match(line):
            out[-1] += " " + line.strip()
        elif line.strip():
            out.append(line)
    return out


def parse_goals(segment: str) -> GoalState | None:
    """The state a tactic left, or None when the output shows no goal listing."""
    clean, _, _ = split_tags(segment)
    if "No more goals" in clean:
        return GoalState(count=0, text="")
    m = _COUNT.search(clean)
    if m is None:
        return None
    count = int(m.group(1))
    body = clean[m.end():].split("Toplevel input", 1)[0]
    parts = _OTHER.split(body)
    first = parts[0]
    rule = _RULE.search(first)
    hyp_text, concl = (first[: rule.start()], first[rule.end():]) if rule else ("", first)
    hyps: list[Hypothesis] = []
    for line in _join_wrapped(hyp_text.splitlines()):
        hm = _HYP.match(line)
        if hm:
            names = tuple(n.strip() for n in hm.group(1).split(",") if n.strip())
            hyps.append(Hypothesis(names=names, type=" ".join(hm.group(2).split())))
    others = tuple(" ".join(p.split()) for p in parts[1:] if p.strip())
    text = _ID.sub("", body)
    return GoalState(count=count, hypotheses=tuple(hyps), conclusion=" ".join(concl.split()), others=others,
                     text=" ".join(text.split()))


__all__ = ["GoalState", "Hypothesis", "parse_goals"]
