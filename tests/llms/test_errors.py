"""scillm errors mapped to LiteLLM exception types for Router retries and fallbacks."""

from __future__ import annotations

import litellm
import pytest

from scillm import errors
from scillm.llms.errors import to_litellm


@pytest.mark.parametrize(("exc", "litellm_type", "status"), [
    (errors.EngineNotReadyError("engine x missing; start the bridge"), litellm.ServiceUnavailableError, 503),
    (errors.BackendUnavailableError("coqtop missing; apt-get install coq"), litellm.ServiceUnavailableError, 503),
    (errors.JsonParseError("bad json", scillm_meta={"reason": "json_parse_failed"}), litellm.APIError, 500),
    (errors.ConfigError("no api_base"), litellm.BadRequestError, 400),
    (errors.InvalidRequestError("items must be a list"), litellm.BadRequestError, 400),
    (errors.RequireProvedError("2 items unproved", unproved=[{"i": 1}]), litellm.APIError, 500),
])
def test_mapping_keeps_type_message_and_attributes(exc: errors.ScillmError, litellm_type: type,
                                                   status: int) -> None:
    mapped = to_litellm(exc, provider="certainly", model="certainly/coq")
    assert isinstance(mapped, type(exc))
    assert isinstance(mapped, litellm_type)
    assert str(mapped) == str(exc)
    assert mapped.status_code == status  # type: ignore[attr-defined]
    assert mapped.__cause__ is exc
    for key, value in vars(exc).items():
        assert getattr(mapped, key) == value


def test_already_litellm_typed_errors_pass_through() -> None:
    mapped = to_litellm(errors.ConfigError("x"), provider="p", model="m")
    assert to_litellm(mapped, provider="p", model="m") is mapped
