"""Metaprogramming, IO and code evaluation in Lean text, refused by name before Lean sees it.

The independent verdict kernel-checks the candidate module and reads
`#print axioms`; neither sees code that RAN while the module was compiled.
Meta code can add an unchecked declaration (`addDecl` under
`debug.skipKernelTC`), elaborate a parsed `macro_rules` that rewrites the
verdict's `#print axioms`, or, with IO, write a fake `.olean` and exit. Such
code is reached through Lean's metaprogramming API and IO, and it runs only
through an evaluator: Aesop's `tactic` rule builder, a function inside a
tactic config (`linarith (config := { preprocessors := ... })`), or `eval%`.
So, in every part of a problem or proof (import names excepted):

- no name under `Lean` or another namespace of meta code (`META_ROOTS`), and
  no name component in `META_WORDS` (meta monads, IO, evaluators, `Tactic`,
  `Elab`, `Meta`), however spelled (`«Lean».Meta`, `«Lean.Meta»`, `_root_.`)
  and however reached (`open`, `namespace`, `open ... in`);
- no name literal or syntax quotation (a backtick), no `eval%` nor any
  other `name% ` term elaborator (`n%2` stays modulo);
- a `(config := ...)` holds only literals (numbers, strings, `true`/`false`,
  `.ctor` names, lists and `{ field := ... }` of those);
- in a proof or statement no named argument `(x := ...)` and no structure
  instance holds a function or monadic code (`FUNCTION_MARKS`); in
  declarations this holds for the function-valued config fields
  (`FUNCTION_FIELDS`), since honest definitions pass functions by name.
"""

from __future__ import annotations

from scillm.integrations.certainly.checkers.lean_rules import CLOSES, OPENS, Violation, at, keyword
from scillm.integrations.certainly.checkers.lean_tokens import Lexed, Token

META_ROOTS = frozenset({"Lean", "IO", "EIO", "BaseIO", "ST", "EST", "System", "Aesop", "Qq", "Plausible",
                        "ProofWidgets", "Linarith", "Polyrith", "LeanSearchClient", "ImportGraph"})
"""Namespaces that hold meta code or IO: no name may start with, or have a component, one."""
META_WORDS = frozenset({
    "Tactic", "Elab", "Meta", "TacticM", "TermElabM", "MetaM", "CoreM", "CommandElabM", "MacroM", "DelabM",
    "SimpM", "AttrM", "ImportM", "IO", "EIO", "BaseIO", "ST", "EST", "unsafeIO", "unsafeBaseIO", "unsafeEIO",
    "unsafeCast", "evalExpr", "evalConst", "evalConstCheck", "evalTerm", "evalTactic", "addDecl", "addAndCompile",
    "compileDecl", "withOptions", "getOptions", "elabCommand", "elabTerm", "liftCommandElabM", "liftTermElabM",
    "liftMetaM", "runParserCategory", "mkConst", "getEnv", "getMainGoal", "replaceMainGoal", "mkStr",
    "dbgTrace", "dbgTraceIfShared", "dbg_trace", "dbgSleep", "tactic", "plausible", "slim_check",
})
"""Name components refused anywhere in a name (`tactic` is Aesop's rule builder that runs a `TacticM` constant;
`plausible` evaluates the goal's `Testable` instances)."""
EVALUATING_ELABORATORS = frozenset({"eval"})
"""Term elaborators written `name%` that evaluate their argument."""
FUNCTION_FIELDS = frozenset({"config", "discharger", "discharge", "preprocessors", "oracle", "proc", "suspend",
                             "transform"})
"""Tactic config fields whose value the tactic runs (`LinarithConfig`, `BacktrackConfig`)."""
FUNCTION_MARKS = frozenset({"fun", "λ", "do", "←", "<-", "=>", "↦", "·", "pure", "return", "match", "bind",
                            ">>=", "=<<", ">=>", "<$>", "<*>", ">>", "∘"})
MONADIC_MARKS = frozenset({"do", "←", "<-", "pure", "return", "bind", ">>=", "=<<", ">=>", "<$>", "<*>", ">>"})
_LITERAL_IDENTS = frozenset({"true", "false"})
_LITERAL_SYMBOLS = frozenset({"{", "}", "[", "]", "(", ")", ",", ":=", ".", "-", "#"})


def _words(tok: Token) -> tuple[str, ...]:
    """Name components, also split inside one escape (`«Lean.Meta»`), `_root_` dropped."""
    words = (*tok.parts, *tok.name.split("."))
    return tuple(w for w in words if w != "_root_")


def _root(tok: Token) -> str:
    parts = [p for p in tok.name.split(".") if p != "_root_"]
    return parts[0] if parts else ""


def _after_import(code: list[Token], i: int) -> bool:
    return i > 0 and keyword(code[i - 1]) == "import"


def meta_names(lexed: Lexed) -> list[Violation]:
    """Names of meta code, IO or evaluators, name literals and syntax quotations, `eval%`."""
    found = []
    code = lexed.code
    tokens = [*((tok, _after_import(code, i)) for i, tok in enumerate(code)), *((t, False) for t in lexed.embedded)]
    for n, (tok, imported) in enumerate(tokens):
        if tok.kind == "symbol" and tok.text == "`":
            found.append(at(tok, "a name literal or syntax quotation (metaprogramming)"))
        if tok.kind != "ident" or imported:
            continue
        if _root(tok) in META_ROOTS:
            found.append(at(tok, f"`{tok.name}` (names under `{_root(tok)}` are meta code or IO)"))
        elif (META_WORDS | META_ROOTS) & set(_words(tok)):
            found.append(at(tok, f"`{tok.name}` (metaprogramming, IO or evaluation)"))
        nxt = tokens[n + 1][0] if n + 1 < len(tokens) else None
        after = tokens[n + 2][0] if n + 2 < len(tokens) else None
        if (nxt is not None and nxt.text == "%" and nxt.start == tok.end
                and (tok.text in EVALUATING_ELABORATORS or after is None or after.start > nxt.end)):
            found.append(at(tok, f"`{tok.text}%` (a term elaborator; `eval%` evaluates code while the proof is "
                                 "elaborated)"))
    return found


def _symbol_runs(tokens: list[Token]) -> set[str]:
    """Single tokens and runs of adjacent symbols (`>>=` is three symbol tokens)."""
    out, run, end = {t.text for t in tokens}, "", -1
    for tok in tokens:
        if tok.kind == "symbol":
            run = (run + tok.text)[-3:] if tok.start == end else tok.text
            end = tok.end
            out.update(run[-n:] for n in (2, 3) if len(run) >= n)
        else:
            run, end = "", -1
    return out


def _closing(code: list[Token]) -> list[int]:
    """For each opening bracket, the index of the bracket closing it (`len(code)` when none does); one pass."""
    out, stack = [len(code)] * len(code), []
    for j, tok in enumerate(code):
        if keyword(tok) in OPENS:
            stack.append(j)
        elif keyword(tok) in CLOSES and stack:
            out[stack.pop()] = j
    return out


def _literal(value: list[Token]) -> bool:
    """Only literals: numbers, strings, `true`/`false`, `.ctor`, field names before `:=`, brackets, commas."""
    for i, tok in enumerate(value):
        if tok.kind in ("number", "string", "char") or tok.text in _LITERAL_SYMBOLS:
            continue
        if tok.kind == "ident" and tok.text in _LITERAL_IDENTS:
            continue
        after_dot = i > 0 and value[i - 1].text == "." and value[i - 1].end == tok.start
        field = i + 1 < len(value) and value[i + 1].text == ":=" and i > 0 and value[i - 1].text in ("{", ",")
        if tok.kind == "ident" and (after_dot or field):
            continue
        return False
    return True


def tactic_arguments(code: list[Token], *, proof: bool) -> list[Violation]:
    """Tactic configs hold only literals; named arguments and structure instances hold no code to run.

    `proof` is False for declarations: there only `FUNCTION_FIELDS` are judged.
    """
    found, closing = [], _closing(code)
    for k, tok in enumerate(code):
        if (keyword(tok) == "(" and k + 2 < len(code) and code[k + 1].kind == "ident"
                and keyword(code[k + 2]) == ":="):
            field = code[k + 1].text
            value = code[k + 3:closing[k]]
            if field == "config" and not _literal(value):
                found.append(at(code[k + 1], "`(config := ...)` with a value other than literals (a tactic runs "
                                             "what its config holds; write fields as `{ name := literal }`)"))
            elif (proof or field in FUNCTION_FIELDS) and FUNCTION_MARKS & _symbol_runs(value):
                found.append(at(code[k + 1], f"`({field} := ...)` holds a function or monadic code, which a "
                                             "tactic would run (pass a function positionally, or define it "
                                             "in the declarations)"))
        elif proof and keyword(tok) == "{":
            inner = code[k + 1:closing[k]]
            if any(keyword(t) == ":=" for t in inner) and MONADIC_MARKS & _symbol_runs(inner):
                found.append(at(tok, "a structure instance holding monadic code (metaprogramming)"))
    return found


__all__ = ["EVALUATING_ELABORATORS", "FUNCTION_FIELDS", "FUNCTION_MARKS", "META_ROOTS", "META_WORDS",
           "meta_names", "tactic_arguments"]
