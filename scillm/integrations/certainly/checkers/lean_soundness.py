"""What a Lean header, declarations, statement and proof may contain, read token by token.

These rules reject early and clearly; they are not the proof of soundness
(`lean_verdict` re-checks every winner in fresh modules and reads
`#print axioms`). They are written against `lean_tokens`, so comments and
strings hide nothing, `«sorry»` is `sorry` and `«debug».«skipKernelTC»` is
`debug.skipKernelTC`.

- Everywhere: `sorry`/`admit`/`sorryAx`, kernel and compiler bypasses
  (`unsafe`, `implemented_by`, `extern`, `ofReduceBool`, `debug.*`,
  `native_decide` unless allowed), meta-programming (`#eval` and every `#`
  command, `run_cmd`/`run_tac`/`by_elab`, `elab`, `macro`, `syntax`,
  notations, `simproc`, `initialize`), `axiom`, and any `set_option` outside
  `OPTION_ALLOWED`.
- A proof or statement is one term or tactic block: no command keyword, no
  attribute, and `open`/`set_option` only in their `... in` forms.
- Declarations may declare (`def`, `theorem`, `structure`, `class`,
  `namespace`, ...) but not change what existing names or notation mean:
  attributes only from `ATTRIBUTES_ALLOWED`; an `instance` only when its
  class or its first argument (the type it is about) is declared there, and
  `deriving instance` only for types declared there; no `export`; no
  `opaque` without a body (`partial def` is kept: the kernel sees it as an
  opaque constant whose type must be inhabited).
- The header holds only `import`s (first), `open`, `universe` and allowed
  `set_option`s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from scillm.integrations.certainly.checkers.lean_tokens import Lexed, Token, tokenize

ALLOWED_AXIOMS: frozenset[str] = frozenset({"propext", "Classical.choice", "Quot.sound"})
NATIVE_AXIOMS: frozenset[str] = frozenset({"Lean.ofReduceBool", "Lean.ofReduceNat", "Lean.trustCompiler"})
"""Axioms `native_decide` adds; accepted only with `allow_native_decide`."""

OPTION_ALLOWED = ("maxHeartbeats", "maxRecDepth", "synthInstance.maxHeartbeats", "synthInstance.maxSize",
                  "autoImplicit", "relaxedAutoImplicit", "pp.*", "linter.*")
ATTRIBUTES_ALLOWED = frozenset({
    "simp", "reducible", "irreducible", "semireducible", "inline", "noinline", "specialize", "ext", "norm_cast",
    "push_cast", "simps", "elab_as_elim", "refl", "symm", "trans", "congr", "gcongr", "mono", "match_pattern",
    "induction_eliminator", "cases_eliminator", "nolint", "deprecated", "inherit_doc",
})

_SORRY = frozenset({"sorry", "admit", "sorryAx"})
_NATIVE = frozenset({"native_decide", "native", "bv_decide", "bv_check"})
_BYPASS = frozenset({"unsafe", "implemented_by", "extern", "ofReduceBool", "ofReduceNat", "reduceBool", "reduceNat",
                     "trustCompiler", "skipKernelTC", "addDeclWithoutChecking", "addDeclCore", "modifyEnv", "setEnv"})
_META = frozenset({"run_cmd", "run_elab", "run_meta", "run_tac", "by_elab", "elab", "elab_rules", "macro",
                   "macro_rules", "syntax", "declare_syntax_cat", "notation", "notation3", "infix", "infixl", "infixr",
                   "prefix", "postfix", "simproc", "dsimproc", "simproc_decl", "dsimproc_decl", "initialize",
                   "builtin_initialize", "meta", "register_simp_attr", "binder_predicate", "unif_hint",
                   "register_option", "declare_config_elab"})
_COMMANDS = frozenset({
    "theorem", "lemma", "def", "definition", "abbrev", "instance", "example", "opaque", "axiom", "structure",
    "class", "inductive", "coinductive", "namespace", "section", "end", "export", "attribute", "universe",
    "variable", "noncomputable", "private", "protected", "partial", "nonrec", "mutual", "deriving", "import",
    "prelude", "omit", "include", "alias", "irreducible_def", "proof_wanted", "local", "scoped", "add_decl_doc",
    "open", "set_option", "@[",
})
_OPEN_PARTS = frozenset({"(", ")", ",", "→", "->", "hiding", "renaming", "scoped"})
_DECL_STARTS = _COMMANDS | _META | {"@["}
_OPEN_STOPS = _DECL_STARTS | {"in"}


@dataclass(frozen=True)
class Violation:
    """One forbidden construct, positioned in the text it was found in (1-based line, 0-based column)."""

    what: str
    line: int
    column: int


def option_allowed(name: str) -> bool:
    """Whether `set_option name` may appear (a short list that cannot weaken the kernel)."""
    return any(name == o or (o.endswith(".*") and name.startswith(o[:-1])) for o in OPTION_ALLOWED)


def _at(tok: Token, what: str) -> Violation:
    return Violation(what, tok.line, tok.column)


def _words(tok: Token) -> tuple[str, ...]:
    """Name components, also split inside one escape: `«debug.skipKernelTC»` yields `skipKernelTC` too."""
    return (*tok.parts, *tok.name.split(".")) if tok.kind == "ident" else (tok.name,)


def _always(lexed: Lexed, allow_native_decide: bool) -> list[Violation]:
    """Names and commands refused in every part of a problem or proof."""
    found = [_at(p, p.name) for p in lexed.problems]
    for tok in [*lexed.code, *lexed.embedded]:
        if tok.kind == "hash":
            found.append(_at(tok, f"`{tok.name}` command"))
        elif tok.kind != "ident":
            continue
        words = _words(tok)
        if _SORRY & set(words):
            found.append(_at(tok, f"`{tok.name}` (sorry)"))
        elif _BYPASS & set(words):
            found.append(_at(tok, f"`{tok.name}` (bypasses the kernel)"))
        elif not allow_native_decide and _NATIVE & set(words):
            found.append(_at(tok, f"`{tok.name}` (native evaluation, trusts the compiler)"))
        elif tok.name in _META or tok.name.startswith("builtin_"):
            found.append(_at(tok, f"`{tok.name}` (meta-programming)"))
        elif tok.name == "axiom":
            found.append(_at(tok, "`axiom`"))
        elif tok.name.startswith("debug."):
            found.append(_at(tok, f"`{tok.name}` (debug option)"))
    return found


def _set_option(code: list[Token], k: int) -> tuple[Violation | None, int]:
    """Check `set_option NAME VALUE` at `code[k]`; (violation, index after VALUE)."""
    if k + 1 >= len(code) or code[k + 1].kind != "ident":
        return _at(code[k], "`set_option` without an option name"), k + 1
    name = code[k + 1]
    if not option_allowed(name.name):
        return _at(name, f"`set_option {name.name}` (allowed: {', '.join(OPTION_ALLOWED)})"), min(k + 3, len(code))
    return None, min(k + 3, len(code))


def _open_end(code: list[Token], k: int) -> int:
    """Index after the names of an `open` at `code[k]`."""
    j = k + 1
    while j < len(code) and (code[j].kind == "ident" and code[j].name not in _OPEN_STOPS
                             or code[j].name in _OPEN_PARTS):
        j += 1
    return j


def _term_rules(lexed: Lexed, allow_native_decide: bool) -> list[Violation]:
    """A proof or statement: one term or tactic block for the target theorem."""
    found = _always(lexed, allow_native_decide)
    code = lexed.code
    k = 0
    while k < len(code):
        tok = code[k]
        if tok.name in ("open", "set_option") and tok.kind in ("ident", "symbol"):
            if tok.name == "open":
                bad, after = None, _open_end(code, k)
            else:
                bad, after = _set_option(code, k)
            if bad is not None:
                found.append(bad)
            if after >= len(code) or code[after].name != "in" or code[after].kind != "ident":
                found.append(_at(tok, f"command `{tok.name}` (only `{tok.name} ... in` is allowed in a proof)"))
            k = max(after, k + 1)
            continue
        if tok.kind in ("ident", "symbol") and tok.name in _COMMANDS:
            found.append(_at(tok, f"command `{tok.name}` (a proof is one term or tactic block)"))
        k += 1
    return found


def _unique(found: Iterable[Violation]) -> list[Violation]:
    return sorted(set(found), key=lambda v: (v.line, v.column, v.what))


def forbidden_in_proof(proof: str, *, allow_native_decide: bool = False) -> list[Violation]:
    """Everything that may not appear in a proof body (a `by` block or a term)."""
    return _unique(_term_rules(tokenize(proof), allow_native_decide))


def forbidden_in_statement(statement: str, *, allow_native_decide: bool = False) -> list[Violation]:
    """The statement is spliced into `theorem name : <statement> :=`, so it obeys the proof's rules."""
    return _unique(_term_rules(tokenize(statement), allow_native_decide))


def _bracket_end(code: list[Token], k: int) -> int:
    """Index of the `]` closing the `[`/`@[` at `code[k]`."""
    depth = 0
    for j in range(k, len(code)):
        if code[j].name in ("[", "@["):
            depth += 1
        elif code[j].name == "]":
            depth -= 1
            if depth == 0:
                return j
    return len(code)


def _attributes(code: list[Token], k: int) -> tuple[list[Violation], int]:
    """Entries of the attribute list opening at `code[k]` must all be in `ATTRIBUTES_ALLOWED`."""
    end = _bracket_end(code, k)
    found, entry_start, depth = [], True, 0
    for tok in code[k + 1:end]:
        if tok.name in ("(", "[", "{"):
            depth += 1
        elif tok.name in (")", "]", "}"):
            depth -= 1
        if depth == 0 and tok.name == ",":
            entry_start = True
            continue
        if entry_start and tok.name not in ("local", "scoped", "-"):
            entry_start = False
            if tok.kind != "ident" or tok.name not in ATTRIBUTES_ALLOWED:
                found.append(_at(tok, f"attribute `{tok.name}` (allowed: {', '.join(sorted(ATTRIBUTES_ALLOWED))})"))
            continue
        if entry_start and tok.name == "-":
            found.append(_at(tok, "removing an attribute changes what existing names mean"))
    return found, end + 1


def _command_end(code: list[Token], k: int) -> int:
    j = k + 1
    while j < len(code) and not (code[j].kind in ("ident", "symbol") and code[j].name in _DECL_STARTS):
        j += 1
    return j


def _instance_type(code: list[Token], k: int, end: int) -> list[Token]:
    """Names in the type of the `instance` at `code[k]`: what follows its top-level `:`."""
    depth = 0
    for j in range(k + 1, end):
        name = code[j].name
        if name in ("(", "[", "{", "⦃", "⟨"):
            depth += 1
        elif name in (")", "]", "}", "⦄", "⟩"):
            depth -= 1
        elif depth == 0 and name == ":":
            stop = next((i for i in range(j + 1, end) if code[i].name in (":=", "where", "|")), end)
            return [t for t in code[j + 1:stop] if t.kind == "ident"]
        elif depth == 0 and name in (":=", "where"):
            break
    return []


def forbidden_in_decls(decls: str, *, allow_native_decide: bool = False) -> list[Violation]:
    """Declarations may add definitions, never change what the statement's names or notation mean."""
    lexed = tokenize(decls)
    found = _always(lexed, allow_native_decide)
    code = lexed.code
    namespaces: list[list[str]] = []
    declared: set[str] = set()
    k = 0
    while k < len(code):
        tok, name = code[k], code[k].name
        scope = [p for ns in namespaces for p in ns]
        if tok.kind not in ("ident", "symbol"):
            k += 1
            continue
        if name == "@[" or (name == "attribute" and k + 1 < len(code) and code[k + 1].name == "["):
            bad, k = _attributes(code, k if name == "@[" else k + 1)
            found += bad
            continue
        if name == "namespace" and k + 1 < len(code) and code[k + 1].kind == "ident":
            namespaces.append(list(code[k + 1].parts))
        elif name in ("section", "mutual"):
            namespaces.append([])
        elif name == "end" and namespaces:
            namespaces.pop()
        elif name in ("class", "structure", "inductive") and k + 1 < len(code):
            nxt = code[k + 2] if code[k + 1].name == "inductive" and k + 2 < len(code) else code[k + 1]
            if nxt.kind == "ident":
                declared.add(".".join([*scope, nxt.name]))
        elif name == "set_option":
            wrong, _ = _set_option(code, k)
            if wrong is not None:
                found.append(wrong)
        elif name in ("import", "prelude"):
            found.append(_at(tok, f"`{name}` (imports belong in the header)"))
        elif name == "export":
            found.append(_at(tok, "`export` (aliases change what names in the statement mean)"))
        elif name == "opaque" and not any(t.name == ":=" for t in code[k:_command_end(code, k)]):
            found.append(_at(tok, "`opaque` without a body (give its value with `:=`)"))
        elif name == "instance":
            names = _instance_type(code, k, _command_end(code, k))
            if not any(".".join([*scope, t.name]) in declared for t in names[:2]):
                what = " ".join(t.name for t in names) or "?"
                found.append(_at(tok, f"`instance` of `{what}`: neither its class nor its first argument is "
                                      "declared here, so it would change what existing notation means"))
        elif name == "deriving" and k + 1 < len(code) and code[k + 1].name == "instance":
            end = _command_end(code, k + 1)
            target = next((code[j + 1] for j in range(k, end - 1) if code[j].name == "for"), None)
            if target is None or ".".join([*scope, target.name]) not in declared:
                found.append(_at(tok, "`deriving instance` for a type not declared here"))
        k += 1
    return _unique(found)


def header_parts(header: str) -> tuple[str, str, list[Violation]]:
    """(import lines, the rest, violations): the header allows `import`s first, then `open`, `universe`, `set_option`."""
    lexed = tokenize(header)
    found = [_at(p, p.name) for p in lexed.problems]
    code = lexed.code
    k, imports_end = 0, 0
    while k < len(code) and code[k].name == "import" and code[k].kind == "ident":
        if k + 1 >= len(code) or code[k + 1].kind != "ident" or code[k + 1].name in _COMMANDS:
            found.append(_at(code[k], "`import` without a module name"))
            k += 1
            break
        imports_end = code[k + 1].end
        k += 2
    while k < len(code):
        tok = code[k]
        if tok.kind == "ident" and tok.name == "open":
            after = _open_end(code, k)
            if after < len(code) and code[after].name == "in":
                found.append(_at(code[after], "`open ... in` in the header (nothing follows it there)"))
                after += 1
            k = max(after, k + 1)
        elif tok.kind == "ident" and tok.name == "universe":
            k += 1
            while k < len(code) and code[k].kind == "ident" and code[k].name not in _DECL_STARTS:
                k += 1
        elif tok.kind == "ident" and tok.name == "set_option":
            bad, k = _set_option(code, k)
            if bad is not None:
                found.append(bad)
            if k < len(code) and code[k].name == "in":
                found.append(_at(code[k], "`set_option ... in` in the header"))
                k += 1
        else:
            what = "`import` after other commands" if tok.name == "import" else f"`{tok.text}`"
            found.append(_at(tok, f"{what} is not allowed in the header (only `import`, then `open`, `universe` "
                                  f"and `set_option` of {', '.join(OPTION_ALLOWED)})"))
            k = _command_end(code, k)
    found += _always(lexed, False)
    return header[:imports_end].strip(), header[imports_end:].strip(), _unique(found)


_SORRY_WARNING = re.compile(r"declaration uses ['`]sorry['`]")


def is_sorry_warning(text: str) -> bool:
    """Lean's warning for a declaration that depends on `sorry` (both quote styles seen in releases)."""
    return _SORRY_WARNING.search(text) is not None


def blank_comments_and_strings(text: str) -> str:
    """The same text with comments and string/char literals blanked (positions kept)."""
    out = list(text)
    for tok in tokenize(text).tokens:
        if tok.kind in ("comment", "string", "char"):
            for i in range(tok.start, tok.end):
                if out[i] != "\n":
                    out[i] = " "
    return "".join(out)


__all__ = [
    "ALLOWED_AXIOMS",
    "ATTRIBUTES_ALLOWED",
    "NATIVE_AXIOMS",
    "OPTION_ALLOWED",
    "Violation",
    "blank_comments_and_strings",
    "forbidden_in_decls",
    "forbidden_in_proof",
    "forbidden_in_statement",
    "header_parts",
    "is_sorry_warning",
    "option_allowed",
]
