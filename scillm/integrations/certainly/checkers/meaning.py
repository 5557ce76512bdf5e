"""Decls that would change what a statement's standard words mean, caught by lexing.

A statement `False` or `1 + 1 = 3` must mean what Coq's standard library
says. Decls can quietly rebind that meaning: `Notation False := True.`,
`Definition False := True.`, `Notation "x + y" := (x)`, `Infix "+" := ...`,
`Number Notation` for literals, `Delimit Scope R_scope with nat`,
`Module Nat. ... End Nat.` shadowing `Nat.add`, `Arguments` on a standard
constant. This module refuses, by lexing alone, redefinitions of standard
names and of standard notation shapes (in any scope: a scope can be opened
later). It is an early, cheap refusal; comparing the statement elaborated
with and without the decls is the verdict's job. Pure text logic.
"""

from __future__ import annotations

import re

from scillm.integrations.certainly.checkers import coq_lexicon as lexicon
from scillm.integrations.certainly.checkers.sentences import split_sentences
from scillm.integrations.certainly.checkers.vernac import Command, classify


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


PRELUDE_NAMES = _set(
    """
    True False I not and or iff ex ex2 all eq eq_refl conj or_introl or_intror ex_intro proj1 proj2 refl_equal
    nat O S bool true false negb andb orb xorb implb unit tt option Some None prod pair fst snd sum inl inr
    list nil cons app length rev map fold_left fold_right In nth hd tl seq repeat firstn skipn
    le lt ge gt le_n le_S plus mult minus pred max min div modulo pow sqrt log2 even odd gcd lcm divide
    Prop Set Type SProp sig sigT exist existT proj1_sig proj2_sig sumbool left right sumor inleft inright
    Acc well_founded identity comparison Eq Lt Gt CompareSpec ID id compose
    positive xH xO xI Z Z0 Zpos Zneg N N0 Npos Q Qmake R R0 R1 Rplus Rmult Rminus Ropp Rinv Rdiv Rle Rlt Rge
    Rgt Rabs Rsqr Rpower sqrt exp ln sin cos tan atan PI IZR INR IPR Int_part frac_part Rmax Rmin up floor
    Qplus Qmult Qminus Qdiv Qle Qlt Qeq Qnum Qden Zabs Zmod Zdiv Zpower Zgcd Zeven Zodd prime rel_prime
    Zplus Zmult Zminus Zopp Zle Zlt Zge Zgt Zsucc Zpred Zmax Zmin Zsqrt Zlcm Znumtheory
    C Cplus Cmult Cminus Copp Cinv Cdiv RtoC Re Im Cmod Cexp Cpow
    sum_f_R0 sum_f Un_cv derivable_pt continuity is_lim Rseries infinite_sum Fcons
    """
)
PRELUDE_MODULES = _set(
    "Nat N Z Pos Q R C List Bool Init Logic Peano Datatypes Specif Coq Reals ZArith Arith Lia Lra QArith "
    "PeanoNat BinInt BinNat BinPos Rdefinitions Raxioms Rfunctions Znumtheory Zdiv Coquelicot mathcomp"
)
STANDARD_SCOPES = _set(
    "nat_scope Z_scope N_scope positive_scope Q_scope R_scope C_scope type_scope core_scope list_scope "
    "bool_scope function_scope Qc_scope hex_nat_scope dec_uint_scope dec_int_scope"
)
STANDARD_KEYS = _set("nat Z N positive Q R C type core list bool function Qc uint int")
STANDARD_SKELETONS = _set(
    """
    _+_ _-_ _*_ _/_ -_ _^_ _=_ _<>_ _<=_ _<_ _>=_ _>_ _<=_<=_ _<=_<_ _<_<=_ _<_<_ _/\\_ _\\/_ ~_ _->_ _<->_
    _::_ _++_ _==_ _=?_ _<=?_ _<?_ _&&_ _||_ _mod_ (_|_) _|_ [] [_] [_;.._;_] {_|_} _! _÷_ _≤_ _≥_ _≠_ _∧_
    _∨_ ¬_ _→_ _↔_ _×_ _%_ _=_:>_ _=_:_ exists_,_ ∃_,_ ∀_,_ _²_ _² √_ /_ _?=_ _^-1 _<->_ _-_<_ _<=_=_
    forall_,_ exists!_,_ fun_=>_ if_then_else_ let_:=_in_ _=_%_ _<>_:>_ {_:_|_} {_&_} _+{_} {_}+{_}
    """
)
_LITERAL = re.compile(r"^'(.*)'$")
_DEFINERS = frozenset(
    {"Definition", "Fixpoint", "CoFixpoint", "Function", "Let", "Inductive", "CoInductive", "Variant", "Record",
     "Structure", "Class", "Instance", "Theorem", "Lemma", "Fact", "Remark", "Corollary", "Proposition",
     "Property", "Example", "Coercion", "Canonical", "Ltac", "Scheme", "Combined", "Abbreviation"}
)


def _unquote(s: str) -> str:
    return s[1:-1].replace('""', '"') if len(s) >= 2 and s[0] == s[-1] == '"' else s


def notation_skeleton(notation: str) -> tuple[str, list[str]]:
    """(shape with variables as `_`, literal tokens) of a notation string such as `x + y` or `'False'`."""
    shape: list[str] = []
    literals: list[str] = []
    for tok in notation.split():
        m = _LITERAL.match(tok)
        if m is not None:
            shape.append(m.group(1))
            literals.append(m.group(1))
        elif lexicon.is_ident(tok) and tok not in PRELUDE_NAMES:
            shape.append("_")
        elif lexicon.is_ident(tok):
            shape.append(tok)
            literals.append(tok)
        else:
            shape.append(tok)
            literals.append(tok)
    return "".join(shape), literals


def _notation_violation(cmd: Command) -> str | None:
    words = cmd.words
    string = next((w for w in words[1:4] if w.startswith('"')), None)
    if cmd.head == "Notation" and string is None and len(words) > 1:
        name = words[1]
        if name in PRELUDE_NAMES or name.split(".")[-1] in PRELUDE_NAMES:
            return f"`Notation {name}` redefines the standard name `{name}`"
        return None
    if string is None:
        return None
    notation = _unquote(string)
    if cmd.head == "Infix":
        notation = f"x {notation} y"
    shape, literals = notation_skeleton(notation)
    if shape in STANDARD_SKELETONS:
        return f"notation \"{notation}\" redefines a standard notation"
    for lit in literals:
        if lit in PRELUDE_NAMES:
            return f"notation \"{notation}\" redefines the standard name `{lit}`"
        if lit.isdigit():
            return f"notation \"{notation}\" redefines the number {lit}"
    return None


_FIELD = re.compile(r"(?:^|[{;]|\bwith\b)\s*([^\W\d][\w']*)\s*(?=[:(\[{]|[^\W\d])")


def _defined_names(cmd: Command) -> list[str]:
    words = list(cmd.words)
    if (cmd.head in ("Canonical", "Coercion") and words[1:2] in (["Structure"], ["Instance"])) or (
            cmd.head == "Combined" and words[1:2] == ["Scheme"]):
        words = words[1:]
    names = [words[1]] if len(words) > 1 and lexicon.is_ident(words[1]) else []
    inductive = cmd.head in ("Inductive", "CoInductive", "Variant", "Record", "Structure")
    if inductive or cmd.head in ("Fixpoint", "CoFixpoint"):
        starts = ("|", ":=", "with") if inductive else ("with",)
        matches = 0  # a `with` that closes a `match` starts its branches, not another definition of the block
        for i, w in enumerate(words[:-1]):
            if w == "match":
                matches += 1
            elif w == "with" and matches:
                matches -= 1
                continue
            if w in starts and lexicon.is_ident(words[i + 1]) and not (matches and w == "|"):
                names.append(words[i + 1])
    if cmd.head in ("Record", "Structure", "Class") and ":=" in cmd.body:
        # fields `{ f : T; g :> U }` and a definitional class's method `Class C := m : T.`; over-read: a binder
        # inside a field's type counts too
        body = cmd.body.split(":=", 1)[1]
        names += [n for n in _FIELD.findall(body) if n not in names]
        if cmd.head == "Record" or "{" in body:
            names += [f"Build_{names[0]}"] if names and f"Build_{names[0]}" not in names else []
    return names


def abbreviations(decls: str) -> frozenset[str]:
    """The names the decls' abbreviations (`Notation k := O.`) declare."""
    cmds = (classify(s) for s in split_sentences(decls))
    return frozenset(cmd.words[1] for cmd in cmds
                     if cmd.head == "Notation" and len(cmd.words) > 1 and lexicon.is_ident(cmd.words[1]))


#: What Coq names after a type or function it declares: elimination schemes (`T_ind`, `T_rect`, `T_rec`,
#: `T_sind`, `T_case`), `Function`'s `f_equation`, `f_ind` and `R_f`, `Program`'s obligations.
_GENERATED_SUFFIXES = ("_ind", "_rect", "_rec", "_sind", "_case", "_equation", "_graph", "_complete", "_correct",
                       "_obligation_1", "_terminate", "_tcc")
_SCHEME_SUFFIXES = ("_beq", "_eq_dec", "_dec_bl", "_dec_lb", "_ind_dep", "_rect_dep", "_rec_dep", "_sind_dep",
                    "_case_dep", "_ind_nodep", "_rect_nodep", "_rec_nodep", "_case_nodep")
_INDUCTIVES = frozenset({"Inductive", "CoInductive", "Variant", "Record", "Structure", "Class", "Function",
                         "Fixpoint", "Definition"})


def declared_names(decls: str) -> frozenset[str]:
    """The short names the decls' definitions, inductives (constructors too), classes and abbreviations declare,
    and the names Coq generates from them (over-read: every suffix Coq may add, for every type and function)."""
    defined: set[str] = set()
    for sentence in split_sentences(decls):
        cmd = classify(sentence)
        if cmd.head not in _DEFINERS:
            continue
        names = _defined_names(cmd)
        if cmd.head == "Scheme" and "for" in cmd.words:  # `Scheme Equality for T`: `T_beq`, `T_eq_dec`, ...
            target = cmd.words[cmd.words.index("for") + 1] if cmd.words.index("for") + 1 < len(cmd.words) else ""
            names += [f"{target}{suffix}" for suffix in _SCHEME_SUFFIXES if lexicon.is_ident(target)]
        defined.update(names)
        if cmd.head in _INDUCTIVES:  # every name of a mutual block has its schemes
            defined.update(f"{name}{suffix}" for name in names for suffix in _GENERATED_SUFFIXES)
            defined.update(f"R_{name}" for name in names)
    return frozenset(defined | abbreviations(decls))


def scoping_refusal(decls: str) -> str | None:
    """Why the decls bind a word one way where a command runs and another where the checks read it, or None.

    The checks read names at the top level after the decls. An abbreviation
    that shares its short name with another decls declaration (`Definition nb
    := 0.` beside a module's `Notation nb := negb.`, `Class Foo` beside
    `Notation Foo := Setoid`) stands for a header constant where `Arguments` or
    `Instance` uses it and for the decls' own where the checks look; an
    `Import`/`Export` of a module the decls declare only later ran on the
    header's module of that name.
    """
    seen: list[str] = []
    opened: list[str] = []  # the blocks open now
    modules: set[tuple[str, ...]] = set()  # (enclosing blocks..., module name)
    for sentence in split_sentences(decls):
        cmd = classify(sentence)
        if opens_block(cmd) and len(cmd.words) > 1:
            name = next((w for w in cmd.words[1:] if w not in ("Import", "Export")), "")
            modules.add((*opened, name))
            opened.append(name)
        elif cmd.head == "End" and opened:
            opened.pop()
        elif cmd.head in ("Import", "Export"):
            # visible by its short name: a module declared at this level or around it
            visible = {m[-1] for m in modules if tuple(m[:-1]) == tuple(opened[:len(m) - 1])}
            depth = 0
            for w in cmd.words[1:]:
                depth += (w == "(") - (w == ")")
                if depth == 0 and lexicon.is_ident(w, qualified=True) and w.split(".")[0] not in visible:
                    return (f"the decls `{cmd.head} {w}` before declaring a module `{w.split('.')[0]}`: only a "
                            "module the decls declared earlier may be imported")
        abbreviation = cmd.head == "Notation" and len(cmd.words) > 1 and lexicon.is_ident(cmd.words[1])
        names = [cmd.words[1]] if abbreviation else _defined_names(cmd) if cmd.head in _DEFINERS else []
        for name in names:
            if name in seen and (abbreviation or name in abbreviations(decls)):
                return (f"the decls declare `{name}` twice, once as an abbreviation: the checks could read the "
                        "other one; give each its own name")
            seen.append(name)
    return None


def opens_block(cmd: Command) -> bool:
    """Whether a `Module`/`Section` sentence opens a block that an `End` closes. Only a plain alias
    (`Module X := M.`) does not; one with a `with Definition t := ...` constraint does, and so, over-read, does
    any `Module` sentence with `with`."""
    if cmd.head == "Section":
        return True
    return cmd.head == "Module" and (":=" not in cmd.body or "with" in cmd.words)


def top_level_names(decls: str) -> frozenset[str]:
    """`declared_names` of the decls' sentences outside every module (sections close into the top level): the only
    decls names a short name printed after the decls can stand for, as a module's own are printed qualified unless
    the module is imported, and then they are not the decls' top-level declarations."""
    blocks: list[str] = []
    kept: list[str] = []
    for sentence in split_sentences(decls):
        cmd = classify(sentence)
        if opens_block(cmd):
            blocks.append(cmd.head)
            continue
        if cmd.head == "End" and blocks:
            blocks.pop()
            continue
        if "Module" not in blocks:
            kept.append(sentence.text)
    return declared_names("\n".join(kept))


def meaning_violation(cmd: Command) -> str | None:
    """Why a decls command would change what a standard name, notation, literal or scope means, or None."""
    head = cmd.head
    if head in ("Number", "Numeral", "String") and cmd.words[1:2] == ("Notation",):
        return f"`{head} Notation` reinterprets literals"
    if head in ("Notation", "Infix") or cmd.starts("Reserved", "Notation") or cmd.starts("Reserved", "Infix"):
        return _notation_violation(cmd if head != "Reserved" else Command(
            cmd.sentence, cmd.kind, cmd.prefixes, cmd.attributes, cmd.words[1:], cmd.body))
    if head in ("Delimit", "Bind") and len(cmd.words) >= 5:
        scope, target = cmd.words[2], cmd.words[4]
        if scope in STANDARD_SCOPES or (head == "Delimit" and target in STANDARD_KEYS) or (
                head == "Bind" and target in PRELUDE_NAMES):
            return f"`{head} Scope {scope} with {target}` changes how standard notations are read"
    if head == "Module":
        name = next((w for w in cmd.words[1:] if w not in ("Type", "Import", "Export")), "")
        if name in PRELUDE_MODULES:
            return f"module `{name}` shadows the standard module `{name}`"
    if head == "Arguments" and len(cmd.words) > 1:
        target = cmd.words[1].lstrip("@")
        if target in PRELUDE_NAMES or target.split(".")[-1] in PRELUDE_NAMES:
            return f"`Arguments {target}` changes how a standard constant is read"
    if head in _DEFINERS:
        for name in _defined_names(cmd):
            if name in PRELUDE_NAMES:
                return f"`{head} {name}` shadows the standard name `{name}`"
    return None


__all__ = ["PRELUDE_NAMES", "STANDARD_SKELETONS", "abbreviations", "declared_names", "meaning_violation", "notation_skeleton",
           "opens_block", "top_level_names"]
