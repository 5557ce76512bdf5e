"""Token-level pieces the Lean text rules share: violations, names refused everywhere, keywords.

`lean_soundness` (header, statement, proof) and `lean_decls` (declarations)
are written with these, against `lean_tokens`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from scillm.integrations.certainly.checkers.lean_tokens import Lexed, Token

OPTION_ALLOWED = ("maxHeartbeats", "maxRecDepth", "synthInstance.maxHeartbeats", "synthInstance.maxSize",
                  "autoImplicit", "relaxedAutoImplicit", "pp.*", "linter.*")

SORRY = frozenset({"sorry", "admit", "sorryAx"})
NATIVE = frozenset({"native_decide", "native", "bv_decide", "bv_check"})
BYPASS = frozenset({"unsafe", "implemented_by", "extern", "ofReduceBool", "ofReduceNat", "reduceBool", "reduceNat",
                    "trustCompiler", "skipKernelTC", "addDeclWithoutChecking", "addDeclCore", "modifyEnv", "setEnv"})
META = frozenset({"run_cmd", "run_elab", "run_meta", "run_tac", "by_elab", "elab", "elab_rules", "macro",
                  "macro_rules", "syntax", "declare_syntax_cat", "notation", "notation3", "infix", "infixl", "infixr",
                  "prefix", "postfix", "simproc", "dsimproc", "simproc_decl", "dsimproc_decl", "initialize",
                  "builtin_initialize", "meta", "register_simp_attr", "binder_predicate", "unif_hint",
                  "register_option", "declare_config_elab"})
COMMAND_KEYWORDS = frozenset({
    "unseal", "seal", "with_weak_namespace", "register_builtin_option", "register_label_attr",
    "register_error_explanation", "declare_simp_like_tactic", "gen_injective_theorems", "init_quot",
    "recommended_spelling", "grind_pattern", "compile_inductive", "compile_def", "assert_not_exists",
    "assert_not_imported", "suppress_compilation", "unsuppress_compilation", "library_note",
    "initialize_simps_projections", "mk_iff_of_inductive_prop", "sudo", "extend_docs", "declare_aesop_rule_sets",
    "add_aesop_rules", "erase_aesop_rules", "public", "module", "variable?",
})
"""Keywords that start a command in Lean or the trusted libraries, besides declarations and the lists here."""
COMMANDS = frozenset({
    "theorem", "lemma", "def", "definition", "abbrev", "instance", "example", "opaque", "axiom", "structure",
    "class", "inductive", "coinductive", "namespace", "section", "end", "export", "attribute", "universe",
    "variable", "noncomputable", "private", "protected", "partial", "nonrec", "mutual", "deriving", "import",
    "prelude", "omit", "include", "alias", "irreducible_def", "proof_wanted", "local", "scoped", "add_decl_doc",
    "open", "set_option", "@[",
}) | COMMAND_KEYWORDS
OPENS = ("(", "[", "{", "⦃", "⟨", "@[")
CLOSES = (")", "]", "}", "⦄", "⟩")
OPEN_PARTS = frozenset({"(", ")", ",", "→", "->", "hiding", "renaming", "scoped"})
DECL_STARTS = COMMANDS | META | {"@["}
OPEN_STOPS = DECL_STARTS | {"in"}


@dataclass(frozen=True)
class Violation:
    """One forbidden construct, positioned in the text it was found in (1-based line, 0-based column)."""

    what: str
    line: int
    column: int


def keyword(tok: Token) -> str:
    """The keyword `tok` is, or "": its raw text, so the identifier `«namespace»` is no keyword."""
    return tok.text if tok.kind in ("ident", "symbol") else ""


def option_allowed(name: str) -> bool:
    """Whether `set_option name` may appear (a short list that cannot weaken the kernel)."""
    return any(name == o or (o.endswith(".*") and name.startswith(o[:-1])) for o in OPTION_ALLOWED)


def at(tok: Token, what: str) -> Violation:
    """A violation positioned at `tok`."""
    return Violation(what, tok.line, tok.column)


def unique(found: Iterable[Violation]) -> list[Violation]:
    """Violations without repeats, in text order."""
    return sorted(set(found), key=lambda v: (v.line, v.column, v.what))


def _words(tok: Token) -> tuple[str, ...]:
    """Name components, also split inside one escape: `«debug.skipKernelTC»` yields `skipKernelTC` too."""
    return (*tok.parts, *tok.name.split(".")) if tok.kind == "ident" else (tok.name,)


def always(lexed: Lexed, allow_native_decide: bool) -> list[Violation]:
    """Names and commands refused in every part of a problem or proof."""
    found = [at(p, p.name) for p in lexed.problems]
    for tok in [*lexed.code, *lexed.embedded]:
        if tok.kind == "hash":
            found.append(at(tok, f"`{tok.name}` command"))
        elif tok.kind != "ident":
            continue
        words = _words(tok)
        if SORRY & set(words):
            found.append(at(tok, f"`{tok.name}` (sorry)"))
        elif BYPASS & set(words):
            found.append(at(tok, f"`{tok.name}` (bypasses the kernel)"))
        elif not allow_native_decide and NATIVE & set(words):
            found.append(at(tok, f"`{tok.name}` (native evaluation, trusts the compiler)"))
        elif tok.name in META or tok.name.startswith("builtin_"):
            found.append(at(tok, f"`{tok.name}` (meta-programming)"))
        elif tok.name == "axiom":
            found.append(at(tok, "`axiom`"))
        elif tok.name.startswith("debug."):
            found.append(at(tok, f"`{tok.name}` (debug option)"))
    return found


def set_option_rule(code: list[Token], k: int) -> tuple[Violation | None, int]:
    """Check `set_option NAME VALUE` at `code[k]`; (violation, index after VALUE)."""
    if k + 1 >= len(code) or code[k + 1].kind != "ident":
        return at(code[k], "`set_option` without an option name"), k + 1
    name = code[k + 1]
    if not option_allowed(name.name):
        return at(name, f"`set_option {name.name}` (allowed: {', '.join(OPTION_ALLOWED)})"), min(k + 3, len(code))
    return None, min(k + 3, len(code))


def open_end(code: list[Token], k: int) -> int:
    """Index after the names of an `open` at `code[k]`."""
    j = k + 1
    while j < len(code) and (code[j].kind == "ident" and keyword(code[j]) not in OPEN_STOPS
                             or keyword(code[j]) in OPEN_PARTS):
        j += 1
    return j


def _depths(tokens: list[Token]) -> list[int]:
    """Bracket depth before each token."""
    out, depth = [], 0
    for tok in tokens:
        word = keyword(tok)
        if word in CLOSES:
            depth -= 1
        out.append(depth)
        if word in OPENS:
            depth += 1
    return out


def top_level(tokens: list[Token], words: tuple[str, ...]) -> list[int]:
    """Indexes of the tokens outside every bracket that are one of `words` (a closing bracket counts outside)."""
    return [i for i, (tok, d) in enumerate(zip(tokens, _depths(tokens), strict=True))
            if d == 0 and keyword(tok) in words]


def command_end(code: list[Token], k: int) -> int:
    """Index of the token that starts the command after the one at `code[k]`."""
    j = k + 1
    while j < len(code) and keyword(code[j]) not in DECL_STARTS:
        j += 1
    return j


__all__ = [
    "BYPASS",
    "CLOSES",
    "COMMANDS",
    "COMMAND_KEYWORDS",
    "DECL_STARTS",
    "META",
    "NATIVE",
    "OPENS",
    "OPEN_PARTS",
    "OPEN_STOPS",
    "OPTION_ALLOWED",
    "SORRY",
    "Violation",
    "always",
    "at",
    "command_end",
    "keyword",
    "open_end",
    "option_allowed",
    "set_option_rule",
    "top_level",
    "unique",
]
