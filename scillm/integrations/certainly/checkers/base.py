"""The Checker protocol: the one thing every proof backend implements.

Callers (the loop, the bridges, the remote-check server) type against this
protocol only; this module holds no logic.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from scillm.integrations.certainly.models import BackendStatus, CheckResult, Problem


@runtime_checkable
class Checker(Protocol):
    """Decides whether `proof` proves `problem`, soundly.

    Implementations never raise for a bad proof or a dead prover: every
    outcome is a `CheckResult` with its own status.
    """

    name: str

    async def check(
        self, problem: Problem, proof: str, *, timeout_ms: int | None = None, confirm: bool = True
    ) -> CheckResult:
        """Check one proof body (Coq: between `Proof.` and `Qed.`; Lean: the `by` block or term).

        With `confirm=True` (the default) a passing proof is also put through
        the expensive guards (axioms used, exact statement) before it is
        reported `proved`. The proving loop passes `confirm=False` for
        candidates and calls `confirm()` on the winner only.
        """
        ...

    async def confirm(self, problem: Problem, proof: str) -> CheckResult:
        """Re-check a winning proof with the expensive guards (axioms, exact statement)."""
        ...

    def status(self) -> BackendStatus:
        """Whether this backend can run here, without raising."""
        ...

    async def aclose(self) -> None:
        """Stop every prover process this checker owns."""
        ...
