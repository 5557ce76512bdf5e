"""`scillm prove` end to end with real Coq: bundled examples, files, --out, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scillm.cli import COMMANDS, build_parser, main
from scillm.integrations.certainly.prove_command import _kwargs


def test_parser_lists_registered_subcommands() -> None:
    parser = build_parser()
    args = parser.parse_args(["prove", "--backend", "coq", "--max-rounds", "2", "1 = 1"])
    assert args.command == "prove" and args.max_rounds == 2 and args.statement == "1 = 1"
    assert "prove" in COMMANDS


def test_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--no-progress", "--file", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"requirement_text": "1 = 1"}\nnot json\n')
    assert main(["prove", "--no-progress", "--file", str(bad)]) == 2
    assert "bad.jsonl:2" in capsys.readouterr().err


@pytest.mark.parametrize(("name", "text", "where"), [
    ("dup.jsonl", '{"statement": "1 = 1"}\n{"statement": "1 = 2", "statement": "True"}\n', "dup.jsonl:2"),
    ("dup.json", '[{"statement": "1 = 2", "proof": "x", "statement": "True"}]', "dup.json"),
    ("deep.json", "[" * 200 + "]" * 200, "deep.json"),
])
def test_a_file_with_a_key_given_twice_or_too_deep_exits_2_naming_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, where: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert main(["prove", "--no-progress", "--file", str(path)]) == 2
    err = capsys.readouterr().err
    assert where in err and ("twice" in err or "deeper" in err), err


@pytest.mark.needs_coq
def test_no_input_proves_the_bundled_examples_offline() -> None:
    exe = shutil.which("scillm") or ""
    cmd = [exe, "prove"] if exe else [sys.executable, "-m", "scillm.cli", "prove"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin:" + str(Path(sys.executable).parent),
                               "CERTAINLY_BACKEND": "coq", "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[-1].startswith("Certainly: items=") and "failed" not in lines[-1]
    count = int(lines[-1].split("items=")[1].split(",")[0])
    assert count >= 5 and lines[-1].endswith(f"proved={count}")
    assert "prove" in proc.stderr and "proved=" in proc.stderr  # the progress bar


@pytest.mark.needs_coq
def test_jsonl_file_out_and_require_proved(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTAINLY_BACKEND", "coq")
    items = tmp_path / "items.jsonl"
    items.write_text(json.dumps({"id": "ok", "requirement_text": "forall a b : nat, a + b = b + a"}) + "\n"
                     + json.dumps({"id": "no", "requirement_text": "forall n : nat, n * 0 = 1"}) + "\n")
    out = tmp_path / "results.jsonl"
    code = main(["prove", "--no-progress", "--file", str(items), "--out", str(out), "--max-rounds", "1",
                 "--require-proved"])
    assert code == 1
    captured = capsys.readouterr()
    assert "not proved: no" in captured.err
    assert "Certainly: items=2, proved=1, failed=1" in captured.out
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["item_id"], r["status"]) for r in rows] == [("ok", "proved"), ("no", "failed")]


@pytest.mark.needs_coq
def test_coq_file_and_statement_argument(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTAINLY_BACKEND", "coq")
    vfile = tmp_path / "rev_app.v"
    vfile.write_text("Require Import List.\nImport ListNotations.\n"
                     "Theorem app_nil (A : Type) (l : list A) : l ++ [] = l.\nProof.\nAdmitted.\n")
    assert main(["prove", "--no-progress", "--json", "--file", str(vfile), "--require-proved"]) == 0
    payload = json.loads(capsys.readouterr().out)
    result = payload["results"][0]
    assert result["item_id"] == "rev_app" and result["status"] == "proved"
    assert "(forall (A : Type) (l : list A), l ++ [] = l)." in result["coq_code"]
    assert "Theorem app_nil : app_nil_statement." in result["coq_code"]
    assert main(["prove", "--no-progress", "forall P Q : Prop, P /\\ Q -> P"]) == 0
    assert "proved=1" in capsys.readouterr().out


def test_a_tactic_script_with_commas_is_tried_whole(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """`rewrite A, B` is one script: `--tactic` (repeatable) never splits it."""
    monkeypatch.setenv("CERTAINLY_BACKEND", "coq")
    script = "intros n m; rewrite Nat.add_0_r, Nat.add_comm; reflexivity."
    args = build_parser().parse_args(["prove", "--tactic", script, "--tactic", "lia.", "1 = 1"])
    assert _kwargs(args)["options"]["tactics"] == [script, "lia."]
    argv = ["prove", "--no-progress", "--json", "--simple", "--no-cache", "--tactic", script,
            "forall n m : nat, n + m + 0 = m + n"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)["results"][0]
    assert result["status"] == "proved" and "rewrite Nat.add_0_r, Nat.add_comm" in result["coq_code"]
