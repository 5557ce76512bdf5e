"""The proof may not choose the universe levels of the statement.

An unannotated `Type` in a statement is a global universe whose relation to
the statement's other universes is left open ("typical ambiguity"). A proof
can add the missing constraint, so `Type <> Type` and `Type = Type` both
check, each with the constraint its proof picked. The statement's meaning is
what its elaboration fixed: `Verify.v` prints Coq's universe graph after
`Require` of the problem alone and again after the candidate, and every
relation (`<`, `<=`) implied between two universes of the problem (its
statement's, the decls' and the verdict's own, and those of the library
constants the statement names) must be the same in both.
Constraints between a problem universe and a library's (`u <= List.247`
when a proof applies a library lemma at the statement's type) are allowed
unless they imply one.
"""

from __future__ import annotations

from collections import defaultdict, deque

from scillm.integrations.certainly.checkers.verdict_result import Verdict

Edge = tuple[str, str, bool]  # (lower, upper, strict)

_OPS = {"<": True, "<=": False}


def graph_sentences(problem: str, candidate: str, seps: list[str], locate: str) -> str:
    """One line of sentences for `Verify.v`: the graph with the problem loaded, then with the candidate too.

    `locate` formats a separator sentence; `seps` holds four separators.
    """
    return " ".join([f"Require {problem}.", locate.format(seps[0]), "Print Universes.", locate.format(seps[1]),
                     f"Require {problem} {candidate}.", locate.format(seps[2]), "Print Universes.",
                     locate.format(seps[3])])


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


def _relations(edges: set[Edge], own: set[str]) -> set[Edge]:
    """Every relation between two universes of `own` that `edges` imply (strict when some path is)."""
    out: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for a, b, strict in edges:
        out[a].append((b, strict))
    found: set[Edge] = set()
    for start in own:
        best: dict[str, bool] = {start: False}
        todo = deque([(start, False)])
        while todo:
            node, strict = todo.popleft()
            if best[node] and not strict:
                continue  # a strict path to `node` was found since
            for nxt, step in out.get(node, ()):
                s = strict or step
                if nxt not in best or (s and not best[nxt]):
                    best[nxt] = s
                    todo.append((nxt, s))
        found.update((start, q, s) for q, s in best.items() if q in own and (q != start or s))
    return found


def _helper(name: str) -> int:
    """1 for a universe of the verdict's own helper readings, 0 for the statement's and the decls'."""
    return int(".scillm_" in name and ".scillm_statement." not in name)


def _named_after(name: str, constants: tuple[str, ...]) -> bool:
    """Whether universe `name` (`ssrbool.predArgType.u0`) is one of the constants' own (`Coq.ssr.ssrbool.predArgType`)."""
    owner, dot, level = name.rpartition(".")
    return bool(dot) and level[:1] == "u" and any(c == owner or c.endswith("." + owner) for c in constants)


def chosen_levels(graphs: list[str] | None, prefixes: tuple[str, ...],
                  constants: tuple[str, ...] = ()) -> Verdict | None:
    """`rejected` when the candidate changed how the problem's universes relate, `error` when the graphs are
    unreadable, else None.

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
    own = {n for a, b, _ in new for n in (a, b) if n.startswith(prefixes) or _named_after(n, constants)}
    added = sorted(_relations(new, own) - _relations(old, own), key=lambda e: (_helper(e[0]) + _helper(e[1]), e))
    if not added:
        return None
    a, b, strict = added[0]  # the decls' and the statement's universes first, then the verdict's own readings
    return Verdict(status="rejected", message=f"the proof fixes universe levels the statement leaves open (it makes "
                   f"`{a} {'<' if strict else '<='} {b}`), so it proves another statement than the one written")


__all__ = ["chosen_levels", "graph_sentences", "parse_graph"]
