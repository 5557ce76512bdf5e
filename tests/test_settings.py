"""Settings objects read the environment once, with one precedence for every reader."""

from __future__ import annotations

import pytest

from scillm.llms import openai_like
from scillm.settings import ChatSettings, DoctorSettings, names


def test_chat_settings_prefer_scillm_over_chutes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCILLM_API_BASE", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("CHUTES_API_BASE", "http://127.0.0.1:2/v1")
    monkeypatch.setenv("CHUTES_API_KEY", "k")
    monkeypatch.delenv("CHUTES_MODEL_ID", raising=False)
    monkeypatch.setenv("CHUTES_TEXT_MODEL", "text-model")
    chat = ChatSettings.from_env()
    assert (chat.api_base, chat.api_key, chat.model) == ("http://127.0.0.1:1/v1", "k", "text-model")
    assert openai_like.default_api_base() == chat.api_base and openai_like.default_model() == "text-model"


def test_lists_are_split_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHUTES_FALLBACK_MODELS", " a, ,b ,")
    monkeypatch.setenv("READINESS_EXPECT", "certainly,codeworld")
    assert ChatSettings.from_env().fallback_models == ("a", "b")
    assert DoctorSettings.from_env().expect == ("certainly", "codeworld")
    assert names(None) == () and names("x") == ("x",)


def test_settings_are_frozen() -> None:
    chat = ChatSettings()
    with pytest.raises(ValueError, match="frozen"):
        chat.api_key = "leak"
