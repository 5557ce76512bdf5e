"""What the first `prove_requirement` call imports: LiteLLM or not, and the time its imports take.

Each sample is a fresh interpreter running one call with `python -X importtime`; the model is the
loopback OpenAI-compatible test server, the checker real Coq. Variants: no model (Coq tactics
only; `no_model` the engine-level `scillm.integrations.certainly.prove_requirement`,
`public_no_model` the public `scillm.prove_requirement`), a model through the default `Completion`
(LiteLLM, which `scillm.prove_requirement` hands the engine; a checkout without it uses the
engine-level function, whose default it was), and a model through an injected `OpenAICompletion`
(httpx only). `--src DIR` measures another checkout (put first on sys.path; variants it lacks are
skipped). Prints medians and the injected/default import-time ratio.
Run: python benchmarks/first_call_imports.py [--runs 3] [--src DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.llm_server import LLMServer  # noqa: E402

PROOF = "```coq\nProof.\nintros n; induction n; simpl; auto.\nQed.\n```"
_CALL = """
import asyncio, json, sys, time
started = time.perf_counter()
if {variant!r} in ("default", "public_no_model"):
    try:
        from scillm import prove_requirement
    except ImportError:
        from scillm.integrations.certainly import prove_requirement
else:
    from scillm.integrations.certainly import prove_requirement
kwargs = {{"backend": "coq", "options": {{"cache": False, "max_rounds": 1, "candidates_per_round": 1}}}}
if {variant!r} in ("default", "injected"):
    kwargs.update(model="openai/test-model", api_base={base!r}, api_key={key!r})
    kwargs["options"]["strategies"] = ["llm"]
if {variant!r} == "injected":
    from scillm.llms.openai_client import OpenAICompletion
    kwargs["completion"] = OpenAICompletion({base!r}, {key!r})
answer = asyncio.run(prove_requirement("forall n : nat, n + 0 = n", **kwargs))
print(json.dumps({{"status": answer["status"], "wall_s": time.perf_counter() - started,
                  "litellm": "litellm" in sys.modules, "modules": len(sys.modules)}}))
"""


def _sample(variant: str, server: LLMServer, src: Path) -> dict[str, object]:
    server.script([PROOF])
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONPATH": str(src)}
    code = _CALL.format(variant=variant, base=server.base_url, key=server.api_key)
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                         timeout=300, env=env, cwd=src, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # -X importtime: "import time: self | cumulative | name"; top-level imports have no indent
    total_us = sum(int(line.split("|")[1]) for line in out.stderr.splitlines()
                   if line.startswith("import time:") and line.split("|")[1].strip().isdigit()
                   and not line.split("|")[2].startswith("  "))
    result["import_s"] = total_us / 1e6
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--src", type=Path, default=ROOT)
    args = parser.parse_args()
    has_injection = (args.src / "scillm" / "completion_protocol.py").exists()
    has_public = (args.src / "scillm" / "llms" / "requirement.py").exists()
    variants = ["no_model", *(["public_no_model"] if has_public else []), "default",
                *(["injected"] if has_injection else [])]
    medians: dict[str, float] = {}
    with LLMServer(api_key="bench-key") as server:
        for variant in variants:
            samples = [_sample(variant, server, args.src) for _ in range(args.runs)]
            medians[variant] = statistics.median(float(s["import_s"]) for s in samples)  # type: ignore[arg-type]
            wall = statistics.median(float(s["wall_s"]) for s in samples)  # type: ignore[arg-type]
            print(f"{variant:15s}: imports {medians[variant]:6.3f} s, first call {wall:6.2f} s, "
                  f"litellm loaded: {sorted({bool(s['litellm']) for s in samples})}, "
                  f"status {sorted({str(s['status']) for s in samples})} (median of {args.runs})")
    if "injected" in medians:
        print(f"ratio injected/default import time = {medians['injected'] / medians['default']:.3f}")


if __name__ == "__main__":
    main()
