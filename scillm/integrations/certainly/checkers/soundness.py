"""What each part of a Coq problem may contain, as early and clear refusals.

The guarantee of a `proved` is the independent, sandboxed verdict; these
checks only refuse early, naming the sentence and the reason. Each place has
its own ALLOW-list, applied to the command seen through its prefixes and
attributes (`vernac.classify`), never to a first word:

* header: imports (`Require`, `From ... Require`, `Import`, `Export`), scopes
  (`Open Scope`, `Close Scope`) and a short list of harmless options;
* decls: definitions, inductive types, lemmas with their proofs, notations
  that change no standard meaning, hints, sections, plain modules
  (`Module M.`: no module type, parameter, signature, alias or functor), plus
  what a header may hold; no assumption (`Axiom(s)`, `Parameter(s)`,
  `Conjecture(s)`, `Hypothesis/Hypotheses`, `Variable(s)`, `Context`,
  `Declare Instance`, `Declare Module`, functor parameters), no
  kernel weakening, no file, I/O, plugin or session command, no prefix;
* proof: tactic sentences only (after an optional goal selector), bullets and
  braces, and never `admit`, `give_up` or the `*_no_check` family.

Text imitating coqtop's output markup is refused anywhere. The axiom policy
(`axiom_allowed`) keeps exactly the axioms of libraries the header loaded.
Lean rules live in the Lean backend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scillm.integrations.certainly.checkers import coq_lexicon as lexicon
from scillm.integrations.certainly.checkers.machinery import unnamed_machinery
from scillm.integrations.certainly.checkers.meaning import meaning_violation
from scillm.integrations.certainly.checkers.sentences import Sentence, strip_comments, words_outside_strings
from scillm.integrations.certainly.checkers.trusted import library_of
from scillm.integrations.certainly.checkers.vernac import Command, classify

FORBIDDEN_TACTIC_WORDS = frozenset(
    {"admit", "give_up", "exact_no_check", "vm_cast_no_check", "native_cast_no_check", "change_no_check",
     "Admitted", "Abort"}
)

ASSUMPTION_COMMANDS = frozenset(
    {"Axiom", "Axioms", "Parameter", "Parameters", "Conjecture", "Conjectures", "Hypothesis", "Hypotheses",
     "Variable", "Variables", "Context", "Admitted", "Admit"}
)
IO_COMMANDS = frozenset(
    {"Load", "Cd", "Pwd", "Drop", "Quit", "Back", "BackTo", "Reset", "Undo", "Restart", "Abort", "Redirect",
     "Extraction", "Extract", "Recursive", "Separate", "Write", "Restore", "Primitive", "Register", "Declare"}
)
# Kept for callers that imported the old name: every command head refused outright.
FORBIDDEN_COMMANDS = ASSUMPTION_COMMANDS | IO_COMMANDS

HARMLESS_OPTIONS = frozenset(
    {"Implicit Arguments", "Strict Implicit", "Contextual Implicit", "Maximal Implicit Insertion",
     "Reversible Pattern Implicit", "Printing Implicit Defensive", "Asymmetric Patterns", "Universe Polymorphism",
     "Primitive Projections", "Bullet Behavior", "Warnings", "Keyed Unification", "Regular Subst Tactic",
     "Structural Injection", "Lia Cache", "Nia Cache", "Decidable Equality Schemes",
     "Boolean Equality Schemes", "Elimination Schemes", "Case Analysis Schemes", "Nonrecursive Elimination Schemes",
     "Uniform Inductive Parameters", "Auto Template Polymorphism", "Default Goal Selector",
     "Automatic Introduction", "Mangle Names", "Firstorder Depth", "Hint Variables", "Hint Constants",
     "Loose Hint Behavior", "Suggest Proof Using", "Default Proof Using", "Transparent Obligations",
     "Shrink Obligations", "Program Mode", "Typeclasses Strict Resolution", "Typeclasses Unique Instances",
     "Typeclass Resolution For Conversion", "Printing Coercions", "Printing Notations", "Printing Width"}
)
KERNEL_OPTIONS = ("Guard Checking", "Positivity Checking", "Universe Checking", "Definitional UIP",
                  "Template Check", "Typing Flags")
HEADER_HEADS = frozenset({"Require", "From", "Import", "Export", "Open", "Close", "Set", "Unset"})
DECL_HEADS = HEADER_HEADS | frozenset(
    {"Definition", "Fixpoint", "CoFixpoint", "Function", "Let", "Inductive", "CoInductive", "Variant", "Record",
     "Structure", "Class", "Instance", "Existing", "Canonical", "Coercion", "Identity", "SubClass", "Theorem",
     "Lemma", "Fact", "Remark", "Corollary", "Proposition", "Property", "Example", "Proof", "Qed", "Defined",
     "Next", "Obligation", "Obligations", "Solve", "Notation", "Infix", "Reserved", "Delimit", "Bind",
     "Arguments", "Implicit", "Generalizable", "Hint", "Create", "Remove", "Ltac", "Tactic", "Section",
     "End", "Module", "Scheme", "Combined", "Opaque", "Transparent", "Strategy", "Typeclasses", "Add",
     "Derive", "Instances", "Abbreviation", "Declare"}
)
_SAFE_DECLARE = ("Scope", "Custom Entry", "Reduction", "Left Step", "Right Step", "Equivalent Keys")
_SAFE_ADD = ("Ring", "Field", "Morphism", "Parametric Morphism", "Relation", "Parametric Relation", "Setoid",
             "Parametric Setoid", "Zify")
_CUMULATIVE = re.compile(r"(?<![Nn]on)(?<![Nn]on_)cumulative\b(?!\s*=\s*no\b)", re.I)
_KERNEL_ATTRIBUTE = re.compile(r"\b(?:bypass_check|typing)\b")
_CHANNEL_MARKUP = re.compile(r"</?\s*(?:prompt|infomsg|warning)\b", re.I)
_PROOF_OPENERS = frozenset({"Proof."})
# Capitalised proof-mode commands that only act on the goals of the proof at hand.
PROOF_COMMANDS = frozenset({"Unshelve"})
_PROOF_CLOSERS = frozenset({"Qed.", "Defined."})
# The only module sentence allowed: open a plain module (any Unicode name). Module types, parameters,
# signatures, aliases, functor applications and `<+` build delta-resolvers, where Coq's kernel and coqchk
# share soundness bugs (rocq#21051, rocq#21685, rocq#22409).
def _plain_module(body: str) -> bool:
    name = lexicon.ident()  # a name as Coq's lexer reads one, so nothing after it is glued on
    return re.fullmatch(rf"\s*Module\s+(?:(?:Import|Export)\s+)?{name}\s*\.?\s*", body) is not None


@dataclass(frozen=True)
class Violation:
    """Why a sentence is refused, and which one."""

    reason: str
    sentence: Sentence


def _option(cmd: Command) -> str:
    """`Set Implicit Arguments.` -> `Implicit Arguments` (the option name, without its value)."""
    words: list[str] = []
    for w in cmd.words[1:]:
        if not re.match(r"[A-Z][\w']*$", w):
            break
        words.append(w)
    return " ".join(words)


def _set_violation(cmd: Command, where: str) -> str | None:
    option = _option(cmd)
    if any(option.startswith(k) or k in cmd.body for k in KERNEL_OPTIONS):
        return f"kernel-weakening option `{option}` in {where}"
    if option not in HARMLESS_OPTIONS:
        return f"option `{option or cmd.body[:40]}` may not be changed in {where} (allowed: {', '.join(sorted(HARMLESS_OPTIONS)[:6])}, ...)"
    return None


def _refused_everywhere(cmd: Command, where: str) -> str | None:
    """Reasons that hold in every place: assumptions, kernel weakening, files, plugins, session state."""
    if any(_KERNEL_ATTRIBUTE.search(a) for a in cmd.attributes):
        return f"kernel-weakening attribute `#[{next(a for a in cmd.attributes if _KERNEL_ATTRIBUTE.search(a))}]` in {where}"
    redirect = next((p for p in cmd.prefixes if p.startswith("Redirect")), None)
    if redirect is not None:
        return f"`{redirect}` writes a file; not allowed in {where}"
    head = cmd.head
    if any(k in cmd.body for k in ("Typing Flags", "bypass_check")):
        return f"kernel-weakening command in {where}"
    if head in ASSUMPTION_COMMANDS:
        return f"`{head}` adds an assumption; not allowed in {where}"
    if head == "Declare":
        rest = " ".join(cmd.words[1:3])
        if not rest.startswith(_SAFE_DECLARE):
            what = "adds an assumption" if rest.startswith(("Instance", "Module")) else "loads code or state"
            return f"`Declare {cmd.words[1] if len(cmd.words) > 1 else ''}` {what}; not allowed in {where}"
        return None
    if head == "Add":
        rest = " ".join(cmd.words[1:3])
        if not rest.startswith(_SAFE_ADD):
            return f"`Add {rest}` changes load paths or state; not allowed in {where}"
        return None
    if head in ("Require", "From", "Import", "Export") and any(w.split(".")[0] == "Ltac2" for w in cmd.words):
        return f"Ltac2 changes how proofs are read and parsed; not allowed in {where}"
    if head in IO_COMMANDS:
        return f"`{head}` touches files, code or the session; not allowed in {where}"
    if head in ("Set", "Unset"):
        return _set_violation(cmd, where)
    if head == "Module" and not _plain_module(strip_comments(cmd.body)):
        return (f"only a plain `Module M.` is allowed in {where}: module parameters are assumptions, and module "
                "types, signatures, aliases (`:=`), functor applications and `<+` rely on Coq's module delta "
                "resolution, which has known soundness bugs that coqchk shares (rocq#21051, rocq#21685)")
    return None


def _markup(s: Sentence, where: str) -> Violation | None:
    if _CHANNEL_MARKUP.search(s.text):
        return Violation(f"coqtop output markup in {where}", s)
    return None


def trim_proof_frame(sentences: list[Sentence]) -> list[Sentence]:
    """Drop a leading `Proof.` and a final `Qed.`/`Defined.` that candidates often repeat."""
    out = list(sentences)
    if out and out[0].kind == "command" and " ".join(strip_comments(out[0].text).split()) in _PROOF_OPENERS:
        out = out[1:]
    if out and out[-1].kind == "command" and " ".join(strip_comments(out[-1].text).split()) in _PROOF_CLOSERS:
        out = out[:-1]
    return out


def _tactic_violation(s: Sentence, where: str) -> Violation | None:
    bad = sorted(set(words_outside_strings(s.text)) & FORBIDDEN_TACTIC_WORDS)
    if bad:
        return Violation(f"forbidden tactic or command `{bad[0]}` in {where}", s)
    return None


def check_proof_sentences(sentences: list[Sentence]) -> Violation | None:
    """First proof sentence that is not a plain tactic sentence, bullet or brace, if any."""
    for s in sentences:
        v = _markup(s, "the proof")
        if v is not None:
            return v
        cmd = classify(s)
        if cmd.kind in ("bullet", "brace"):
            continue
        v = _tactic_violation(s, "the proof")
        if v is not None:
            return v
        plain_proof_command = not cmd.prefixes and not cmd.attributes and (
            " ".join(cmd.body.split()).rstrip(".").rstrip() in PROOF_COMMANDS)
        if cmd.kind != "tactic" and not plain_proof_command:
            word = " ".join((*cmd.prefixes, *cmd.words[:1])) or cmd.body[:20]
            inner = _refused_everywhere(cmd, "the proof")
            why = f" ({inner})" if inner else ""
            return Violation(f"`{word}` is not a tactic; proofs may only contain tactic sentences{why}", s)
    return None


def check_header(sentences: list[Sentence]) -> Violation | None:
    """First header sentence that is not an import, a scope or a harmless option."""
    for s in sentences:
        v = _markup(s, "the header")
        if v is not None:
            return v
        cmd = classify(s)
        reason = _refused_everywhere(cmd, "the header") if cmd.kind == "command" else None
        if reason is None and cmd.prefixes and not set(cmd.prefixes) <= {"Local", "Global", "Export"}:
            reason = f"command prefix `{cmd.prefixes[0]}` is not allowed in the header"
        if reason is None and (cmd.kind != "command" or cmd.head not in HEADER_HEADS
                               or (cmd.head in ("Open", "Close") and cmd.words[1:2] != ("Scope",))):
            what = cmd.head or cmd.body[:20] or s.text[:20]
            reason = (f"`{what}` is not allowed in the header; it may hold only imports (Require, From, Import, "
                      "Export), Open/Close Scope and harmless Set/Unset options")
        if reason is not None:
            return Violation(reason, s)
    return None


def check_decls(sentences: list[Sentence]) -> Violation | None:
    """First decls sentence that adds an assumption, weakens the kernel, does I/O or changes a standard meaning."""
    for s in sentences:
        v = _markup(s, "decls")
        if v is not None:
            return v
        cmd = classify(s)
        if cmd.kind in ("bullet", "brace"):
            continue
        v = _tactic_violation(s, "decls")
        if v is not None:
            return v
        if cmd.kind == "tactic":
            continue
        reason = _refused_everywhere(cmd, "decls")
        if reason is None and cmd.prefixes and not set(cmd.prefixes) <= (
                {"Local", "Global", "Export", "Polymorphic", "Monomorphic", "Program", "Cumulative",
                 "NonCumulative", "Private", "Template"}):
            reason = f"command prefix `{cmd.prefixes[0]}` is not allowed in decls"
        if reason is None and ("Cumulative" in cmd.prefixes or any(_CUMULATIVE.search(a) for a in cmd.attributes)):
            reason = ("cumulative inductive types are not allowed in decls: Coq's variance inference for them, "
                      "coqchk's too, has known soundness bugs (rocq#22383, rocq#22376)")
        if reason is None:
            reason = meaning_violation(cmd) or unnamed_machinery(s.text)
        if reason is None and cmd.head not in DECL_HEADS:
            reason = (f"`{cmd.head or cmd.body[:20]}` is not allowed in decls; decls may hold definitions, "
                      "inductive types, lemmas with proofs, notations, hints, sections and imports")
        if reason is not None:
            return Violation(reason, s)
    return None


def check_vernacular(sentences: list[Sentence], where: str) -> Violation | None:
    """The policy of `where` ("header" or "decls") applied to its sentences."""
    return check_header(sentences) if where == "header" else check_decls(sentences)


def axiom_allowed(path: str, header_libraries: frozenset[str]) -> bool:
    """An axiom is allowed exactly when it is declared in a library the header loaded."""
    return library_of(path, header_libraries) is not None


__all__ = [
    "ASSUMPTION_COMMANDS",
    "FORBIDDEN_COMMANDS",
    "FORBIDDEN_TACTIC_WORDS",
    "HARMLESS_OPTIONS",
    "PROOF_COMMANDS",
    "Violation",
    "axiom_allowed",
    "check_decls",
    "check_header",
    "check_proof_sentences",
    "check_vernacular",
    "library_of",
    "trim_proof_frame",
]
