"""The axioms a `proved` may rest on, named one by one under the library that declares each.

A library is trusted axiom by axiom, not as a whole, so an axiom a release
gets wrong is refused while the rest of its library stays usable, and an
axiom a later release adds is refused (named in the verdict) until it is
reviewed here. The names are what `coqchk -o` lists over a module that
`Require`s every library below and every trusted import (Coq 8.16.1 and the
Debian `libcoq-*` packages); names inside a library are relative to it.
Module fields (`RbaseSymbolsImpl.R`, `Under_rel.over_rel`) are the sealed
definitions `coqchk` lists as axioms.
"""

from __future__ import annotations

KNOWN_FALSE: dict[str, str] = {
    "Coq.Numbers.Cyclic.Int63.Sint63.asr_spec": (
        "it is false: the `asr` primitive gives 0, not -1, for a negative number shifted by 63 or more, so "
        "`asr_spec (-1) 63` proves False (rocq#22462)"),
}
"""Axioms of trusted libraries that are inconsistent with the kernel's primitives, and why: never trusted."""

_NAMES: dict[str, str] = {
    "Coq.Array.PArray": (
        "array array_ext copy default default_set get get_copy get_make get_out_of_bounds get_set_other "
        "get_set_same leb_length length length_copy length_make length_set make set"
    ),
    "Coq.Floats.FloatAxioms": (
        "Leibniz.eqb_spec Prim2SF_SF2Prim Prim2SF_valid SF2Prim_Prim2SF abs_spec add_spec classify_spec "
        "compare_spec div_spec eqb_spec frshiftexp_spec ldshiftexp_spec leb_spec ltb_spec mul_spec "
        "next_down_spec next_up_spec normfr_mantissa_spec of_uint63_spec opp_spec sqrt_spec sub_spec"
    ),
    "Coq.Floats.PrimFloat": (
        "Leibniz.eqb abs add classify compare div eqb float frshiftexp ldshiftexp leb ltb mul next_down "
        "next_up normfr_mantissa of_uint63 opp sqrt sub"
    ),
    "Coq.Logic.ClassicalEpsilon": "constructive_indefinite_description",
    "Coq.Logic.ClassicalUniqueChoice": "dependent_unique_choice",
    "Coq.Logic.Classical_Prop": "classic",
    "Coq.Logic.Description": "constructive_definite_description",
    "Coq.Logic.Epsilon": "epsilon_statement",
    "Coq.Logic.Eqdep": "Eq_rect_eq.eq_rect_eq",
    "Coq.Logic.ExtensionalFunctionRepresentative": "extensional_function_representative",
    "Coq.Logic.FunctionalExtensionality": "functional_extensionality_dep",
    "Coq.Logic.IndefiniteDescription": "constructive_indefinite_description",
    "Coq.Logic.ProofIrrelevance": "proof_irrelevance",
    "Coq.Logic.PropExtensionality": "propositional_extensionality",
    "Coq.Logic.RelationalChoice": "relational_choice",
    "Coq.Numbers.Cyclic.Int63.PrimInt63": (
        "add addc addcarryc addmuldiv asr compare compares div diveucl diveucl_21 divs eqb head0 int land leb "
        "lesb lor lsl lsr ltb ltsb lxor mod mods mul mulc sub subc subcarryc tail0"
    ),
    "Coq.Numbers.Cyclic.Int63.Sint63": "compare_spec div_spec leb_spec ltb_spec mod_spec",
    "Coq.Numbers.Cyclic.Int63.Uint63": (
        "add_spec addc_def_spec addcarryc_def_spec addmuldiv_def_spec compare_def_spec div_spec "
        "diveucl_21_spec diveucl_def_spec eqb_correct eqb_refl head0_spec land_spec leb_spec lor_spec "
        "lsl_spec lsr_spec ltb_spec lxor_spec mod_spec mul_spec mulc_spec of_to_Z sub_spec subc_def_spec "
        "subcarryc_def_spec tail0_spec"
    ),
    "Coq.Reals.ClassicalDedekindReals": "sig_forall_dec sig_not_dec",
    "Coq.Reals.Rdefinitions": (
        "RbaseSymbolsImpl.R RbaseSymbolsImpl.R0 RbaseSymbolsImpl.R0_def RbaseSymbolsImpl.R1 "
        "RbaseSymbolsImpl.R1_def RbaseSymbolsImpl.Rabst RbaseSymbolsImpl.Rlt RbaseSymbolsImpl.Rlt_def "
        "RbaseSymbolsImpl.Rmult RbaseSymbolsImpl.Rmult_def RbaseSymbolsImpl.Ropp RbaseSymbolsImpl.Ropp_def "
        "RbaseSymbolsImpl.Rplus RbaseSymbolsImpl.Rplus_def RbaseSymbolsImpl.Rquot1 RbaseSymbolsImpl.Rquot2 "
        "RbaseSymbolsImpl.Rrepr RinvImpl.Rinv RinvImpl.Rinv_def"
    ),
    "Coq.Sets.Ensembles": "Extensionality_Ensembles",
    "Coq.ssr.ssrunder": (
        "Under_rel.Over_rel Under_rel.Under_rel Under_rel.Under_relE Under_rel.Under_rel_from_rel "
        "Under_rel.over_rel Under_rel.over_rel_done Under_rel.under_rel_done"
    ),
    "mathcomp.fingroup.perm": "PermDef.fun_of_perm PermDef.fun_of_permE PermDef.perm PermDef.permE",
    "mathcomp.ssreflect.bigop": "BigOp.bigop BigOp.bigopE",
    "mathcomp.ssreflect.finfun": "FinfunDef.finfun FinfunDef.finfunE",
    "mathcomp.ssreflect.finset": (
        "Imset.imset Imset.imset2 Imset.imset2E Imset.imsetE SetDef.finset SetDef.finsetE SetDef.pred_of_set "
        "SetDef.pred_of_setE"
    ),
    "mathcomp.ssreflect.fintype": (
        "CardDef.card CardDef.cardEdef Finite.EnumDef.enum Finite.EnumDef.enumDef SubsetDef.subset "
        "SubsetDef.subsetEdef"
    ),
    "mathcomp.ssreflect.generic_quotient": "MPi.E MPi.f Pi.E Pi.f Repr.E Repr.f",
    "mathcomp.ssreflect.tuple": "FinTuple.enum FinTuple.enumP FinTuple.size_enum",
}

TRUSTED_AXIOMS: dict[str, frozenset[str]] = {lib: frozenset(names.split()) for lib, names in _NAMES.items()}
"""For each library (Rocq 9's `Stdlib.`/`Corelib.` read as `Coq.`), the axioms it declares that a `proved` may
rest on. Not here: `Coq.Compat.AdmitAxiom.proof_admitted : False`, the extraction-only
`Coq.extraction.ExtrOcamlIntConv` parameters, and `KNOWN_FALSE`."""

__all__ = ["KNOWN_FALSE", "TRUSTED_AXIOMS"]
