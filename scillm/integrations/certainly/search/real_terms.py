"""Name each `sqrt`/`ln` term of a goal with its defining facts, so `nra`/`lra` can reason about it.

`nra` treats `sqrt t` and `ln t` as opaque atoms; what it lacks are their
defining facts. For `sqrt t`: `0 <= sqrt t` and `sqrt t * sqrt t = t`; when
`t` is a closed numeral expression whose value is a perfect square, the
term is rewritten to its value outright; a goal `sqrt t = c` becomes
`c * c = t` (`sqrt_lem_1`). For `ln`: `ln (a ^ n) = n * ln a` and, for a
closed argument above 1, `0 < ln t`. Everything here is pure text.
"""

from __future__ import annotations

import ast
import math
import re
from fractions import Fraction

from scillm.integrations.certainly.search.goals import GoalState

_ARG = r"(\([^()]*(?:\([^()]*\)[^()]*)*\)|[A-Za-z_][\w']*|\d+)"
_SQRT = re.compile(rf"\bsqrt\s+{_ARG}")
_LN = re.compile(rf"\bln\s+{_ARG}")
_CLOSED = re.compile(r"^[\d\s+\-*/().]+$")
_SQRT_GOAL = re.compile(r"^sqrt\s+(.+?)\s*=\s*([^=]+)$")
_SQRT_GOAL_FLIPPED = re.compile(r"^([^=]+?)\s*=\s*sqrt\s+(.+)$")


def closed_value(expr: str) -> Fraction | None:
    """The exact value of a closed numeral expression (`+ - * /` and parentheses), else None."""
    text = expr.strip()
    if not _CLOSED.match(text) or len(text) > 80:
        return None
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None
    return _eval(tree.body)


def _eval(node: ast.AST) -> Fraction | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return Fraction(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _eval(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left), _eval(node.right)
        if a is None or b is None:
            return None
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        if isinstance(node.op, ast.Div) and b != 0:
            return a / b
    return None


def _square_root(value: Fraction) -> Fraction | None:
    if value < 0:
        return None
    num, den = math.isqrt(value.numerator), math.isqrt(value.denominator)
    return Fraction(num, den) if num * num == value.numerator and den * den == value.denominator else None


def _coq_number(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"({value.numerator} / {value.denominator})"


def _bare(arg: str) -> str:
    return arg[1:-1] if arg.startswith("(") and arg.endswith(")") else arg


def sqrt_steps(state: GoalState) -> list[str]:
    """Closed perfect squares rewritten to their value; `sqrt t = c` goals squared; the facts of each term."""
    out: list[str] = []
    terms = list(dict.fromkeys(_SQRT.findall(state.text)))
    for term in terms:
        root = _square_root(value) if (value := closed_value(_bare(term))) is not None else None
        if root is not None:
            out.append(f"rewrite (sqrt_lem_1 {term} {_coq_number(root)}) in * by lra.")
            out.append(f"rewrite (sqrt_lem_1 {term} {_coq_number(root)}) by lra.")
    concl = state.conclusion
    if _SQRT_GOAL.match(concl):
        out += ["apply sqrt_lem_1; nra.", "apply sqrt_lem_1; lra.", "apply sqrt_lem_1."]
    elif _SQRT_GOAL_FLIPPED.match(concl):
        out += ["symmetry; apply sqrt_lem_1; nra.", "symmetry; apply sqrt_lem_1."]
    named = terms[:3]
    if named:
        pos = "; ".join(f"pose proof (sqrt_pos {t})" for t in named)
        sq = "; ".join(f"assert (sqrt {t} * sqrt {t} = {t}) by (apply sqrt_sqrt; lra)" for t in named)
        out += [f"{pos}; {sq}; nra.", f"{pos}; {sq}.", f"{pos}; nra."]
    return out


def ln_steps(state: GoalState) -> list[str]:
    """`ln` of powers, products and quotients split, and `0 < ln t` for closed arguments above 1."""
    terms = list(dict.fromkeys(_LN.findall(state.text)))
    if not terms:
        return []
    out: list[str] = []
    if re.search(r"\bln\s+\([^()]*\^", state.text):
        out.append("rewrite !ln_pow in * by lra.")
    facts = []
    for term in terms[:4]:
        value = closed_value(_bare(term))
        if value is not None and value > 1:
            facts.append(f"assert (0 < ln {term}) by (rewrite <- ln_1; apply ln_increasing; lra)")
    if facts:
        out += ["; ".join(facts) + "."]
    out += ["rewrite ?ln_mult, ?ln_div in * by lra.", "unfold Rdiv in *; rewrite ?ln_mult, ?ln_Rinv in * by lra."]
    return out


__all__ = ["closed_value", "ln_steps", "sqrt_steps"]
