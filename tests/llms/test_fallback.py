"""The direct-or-HTTP decision of the certainly/codeworld providers, on this machine's real tools."""

from __future__ import annotations

import shutil

import anyio
import pytest

import scillm
from scillm.errors import BackendUnavailableError
from scillm.llms import fallback
from scillm.llms.fallback import bridge_base, choose_mode

lean_absent = pytest.mark.skipif(shutil.which("lean") is not None, reason="needs Lean to be absent")


def test_bridge_base_order(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CERTAINLY_BRIDGE_BASE", "LEAN4_BRIDGE_BASE", "CODEWORLD_BASE"):
        monkeypatch.delenv(name, raising=False)
    assert bridge_base("certainly") == "http://127.0.0.1:8787"
    assert bridge_base("codeworld") == "http://127.0.0.1:8887"
    monkeypatch.setenv("CERTAINLY_BRIDGE_BASE", "http://c:1/")
    monkeypatch.setenv("LEAN4_BRIDGE_BASE", "http://l:2")
    monkeypatch.setenv("CODEWORLD_BASE", "http://w:3")
    assert bridge_base("certainly", "certainly") == "http://c:1"
    assert bridge_base("certainly", "lean4") == "http://l:2"
    assert bridge_base("codeworld") == "http://w:3"
    assert bridge_base("certainly", "lean4", api_base="http://x:9/") == "http://x:9"


@pytest.mark.needs_coq
def test_direct_when_coq_is_here_and_http_when_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCILLM_CERTAINLY_HTTP_ONLY", raising=False)
    assert choose_mode("certainly", {"backend": "coq"}) == ("direct", None)
    monkeypatch.setenv("SCILLM_CERTAINLY_HTTP_ONLY", "1")
    assert choose_mode("certainly", {"backend": "coq"})[0] == "http"


@lean_absent
def test_missing_backend_falls_back_or_fails_under_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCILLM_CERTAINLY_HTTP_ONLY", raising=False)
    monkeypatch.delenv("SCILLM_CERTAINLY_DIRECT_STRICT", raising=False)
    mode, why = choose_mode("certainly", {"backend": "lean"})
    assert mode == "http" and why
    monkeypatch.setenv("SCILLM_CERTAINLY_DIRECT_STRICT", "1")
    with pytest.raises(BackendUnavailableError, match="HTTP fallback is off"):
        choose_mode("certainly", {"backend": "lean"})


@lean_absent
def test_fallback_to_an_absent_bridge_names_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    import litellm

    from scillm.errors import BridgeUnavailableError

    monkeypatch.delenv("SCILLM_CERTAINLY_DIRECT_STRICT", raising=False)
    with pytest.raises(BridgeUnavailableError, match="127.0.0.1:9") as info:
        anyio.run(lambda: fallback.arun("certainly", [{"requirement_text": "True"}], {"backend": "lean"},
                                        api_base="http://127.0.0.1:9", timeout_s=2))
    assert not isinstance(info.value, litellm.ServiceUnavailableError)  # mapped once, by the provider handler
    with pytest.raises(BridgeUnavailableError, match="127.0.0.1:9") as through_litellm:
        scillm.completion(model="certainly/lean", items=[{"requirement_text": "True"}],
                          api_base="http://127.0.0.1:9")
    assert isinstance(through_litellm.value, litellm.ServiceUnavailableError)
