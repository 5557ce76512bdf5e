"""The proof may not choose the universe levels of the statement.

An unannotated `Type` in a statement is a global universe whose relation to
the statement's other universes, and to the library's, is left open
("typical ambiguity"). A proof can add the missing constraint, so `Type <>
Type` and `Type = Type` both check, and so do `exists P : predType bool,
pred_sort P = Type` and its negation, each with the constraint its proof
picked. The statement's meaning is what its elaboration fixed: `Verify.v`
prints Coq's universe graph after `Require` of the problem alone and again
with the candidate. The universes the statement depends on are the
problem's own (its statement's and the decls', not those of the verdict's
copies of the statement), every
universe a constraint ties directly to one of the statement's or the decls'
before the candidate (a universe a statement uses is tied to it by its typing
constraints: `pred_sort P = Type` puts `predType`'s universe below the
equation's), and those named after a library constant the statement names
(`ssrbool.predArgType.u0`). Every relation (`<`,
`<=`) the graph with the candidate implies between two of them must already
hold without it. A proof may still put a statement universe below a library
lemma's that the statement is not tied to (`apply app_length` at `A : Type`
adds `u <= List.13`, which puts `u` below `eq`'s universe too).
"""

from __future__ import annotations

from collections import defaultdict, deque

from scillm.integrations.certainly.checkers import verdict_text as vt
from scillm.integrations.certainly.checkers.verdict_result import Verdict

Edge = tuple[str, str, bool]  # (lower, upper, strict)

_OPS = {"<": True, "<=": False}


def graph_sentences(problem: str, candidate: str, seps: list[str]) -> str:
    """One line of sentences for `Verify.v`: the graph with the problem loaded, then with the candidate too,
    between four separators (one line, so the line numbers of Verify.v's other sentences stay as they were)."""
    return " ".join([f"Require {problem}.", vt.locate_line(seps[0]), "Print Universes.", vt.locate_line(seps[1]),
                     f"Require {problem} {candidate}.", vt.locate_line(seps[2]), "Print Universes.",
                     vt.locate_line(seps[3])])


def parse_graph(text: str) -> set[Edge] | None:
    """Edges of a `Print Universes` answer; `a = b` gives both `a <= b` and `b <= a`. None when unreadable.

    Read as tokens, since the printer breaks long lines anywhere: each group
    is a universe followed by `op universe` pairs.
    """
    edges: set[Edge] = set()
    tokens = text.split()
    lower = ""
    i = 0
    while i < len(tokens):
        if tokens[i] not in _OPS and tokens[i] != "=":
            lower = tokens[i]
            i += 1
        if not lower or i + 1 >= len(tokens) or tokens[i] not in (*_OPS, "=") or tokens[i + 1] in (*_OPS, "="):
            return None
        op, upper = tokens[i], tokens[i + 1]
        if op == "=":
            edges.update({(lower, upper, False), (upper, lower, False)})
        else:
            edges.add((lower, upper, _OPS[op]))
        i += 2
    return edges


def _adjacency(edges: set[Edge], *, down: bool = False) -> dict[str, list[tuple[str, bool]]]:
    out: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for a, b, strict in edges:
        out[b if down else a].append((a if down else b, strict))
    return out


def _reach(adj: dict[str, list[tuple[str, bool]]], sources: set[str], through: set[str] | None = None,
           ) -> dict[str, bool]:
    """Every node a path from `sources` reaches, with whether a strict one does; with `through`, paths go on
    only from the sources and from nodes of `through`."""
    best = dict.fromkeys(sources, False)
    todo = deque(sources)
    while todo:
        node = todo.popleft()
        if through is not None and node not in sources and node not in through:
            continue
        for nxt, step in adj.get(node, ()):
            strict = best[node] or step
            if nxt not in best or (strict and not best[nxt]):
                best[nxt] = strict
                todo.append(nxt)
    return best


def _implied(memo: dict[str, dict[str, bool]], adj: dict[str, list[tuple[str, bool]]], a: str, b: str,
             strict: bool) -> bool:
    if a not in memo:
        memo[a] = _reach(adj, {a})
    return b in memo[a] and (memo[a][b] or not strict)


def _new_relation(old: set[Edge], new: set[Edge], own: set[str]) -> Edge | None:
    """A relation between two universes of `own` that `new` implies and `old` does not, or None."""
    known = {n for a, b, _ in old for n in (a, b)}
    up_old, up_new = _adjacency(old), _adjacency(new)
    memo: dict[str, dict[str, bool]] = {}
    fresh = {n for a, b, _ in new for n in (a, b)} - known  # the candidate's own universes
    added: list[Edge] = []  # relations between old universes through the candidate's edges
    for x in sorted({a for a, b, _ in new - old if a in known}):
        for y, strict in _reach(up_new, {x}, fresh).items():
            if y in known and y != x and not _implied(memo, up_old, x, y, strict):
                added.append((x, y, strict))
    if not added:
        return None
    extended = old | set(added)
    up, down = _adjacency(extended), _adjacency(extended, down=True)
    for x, y, strict in added:
        below = {p: s for p, s in _reach(down, {x}).items() if p in own}
        above = {q: s for q, s in _reach(up, {y}).items() if q in own}
        for p, sp in sorted(below.items()):
            for q, sq in sorted(above.items()):
                if p != q and not _implied(memo, up_old, p, q, strict or sp or sq):
                    return p, q, strict or sp or sq
    return None


#: Problem.v's own constants and modules that hold copies of the statement (a decls name cannot take them: Problem.v
#: would not compile), and the sort of `Definition scillm_statement : Type := ...`, which is outside the statement.
_HELPERS = ("scillm_some.", "scillm_plain_reading.", "scillm_plain.", "scillm_same.", "scillm_general.",
            "scillm_general_reading.")


def _helper(name: str, prefixes: tuple[str, ...]) -> bool:
    """Whether a problem universe is the verdict's own rather than the statement's or the decls'."""
    return any(name.startswith(tuple(p + h for h in _HELPERS)) or name == p + "scillm_statement.u0" for p in prefixes)


def _named_after(name: str, constants: tuple[str, ...]) -> bool:
    """Whether universe `name` (`ssrbool.predArgType.u0`) is a constant's own (`Coq.ssr.ssrbool.predArgType`)."""
    owner, dot, level = name.rpartition(".")
    return bool(dot) and level[:1] == "u" and any(c == owner or c.endswith("." + owner) for c in constants)


def chosen_levels(graphs: list[str] | None, prefixes: tuple[str, ...],
                  constants: tuple[str, ...] = ()) -> Verdict | None:
    """`rejected` when the candidate changed how the universes the statement depends on relate, `error` when the
    graphs are unreadable, else None.

    `graphs` are the answers between `graph_sentences`' separators (before,
    between, after); a universe is the problem's when its printed name starts
    with one of `prefixes`, or when it is named after one of `constants`, the
    library constants the statement names (`predArgType := Type`).
    """
    old, new = (parse_graph(graphs[0]), parse_graph(graphs[2])) if graphs else (None, None)
    if old is None or new is None:
        return Verdict(status="error", message="could not read the universe graph")
    if new <= old:
        return None
    names = {n for a, b, _ in old for n in (a, b)}
    # the statement's and the decls' universes; the verdict's own copies of the statement are not, but a copy equal
    # to one of them may be the one the graph prints its constraints on
    helpers = {n for n in names if _helper(n, prefixes)}
    stated = {n for n in names if n.startswith(prefixes)} - helpers
    members = stated | {b for a, b, strict in old if a in stated and not strict and (b, a, False) in old}
    tied = ({b for a, b, _ in old if a in members} | {a for a, b, _ in old if b in members}) - helpers
    own = (stated | tied | {n for n in names if _named_after(n, constants)}) - {"Set"}
    found = _new_relation(old, new, own)
    if found is None:
        return None
    a, b, strict = found
    return Verdict(status="rejected", message=f"the proof fixes universe levels the statement leaves open (it makes "
                   f"`{a} {'<' if strict else '<='} {b}`), so it proves another statement than the one written")


__all__ = ["chosen_levels", "graph_sentences", "parse_graph"]
