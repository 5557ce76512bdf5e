"""scillm errors mapped to LiteLLM exception types for Router retries and fallbacks."""

from __future__ import annotations

import litellm
import pytest

from scillm import errors
from scillm.llms.errors import map_exceptions, to_litellm


@pytest.mark.parametrize(("exc", "litellm_type", "status"), [
    (errors.EngineNotReadyError("engine x missing; start the bridge"), litellm.ServiceUnavailableError, 503),
    (errors.BackendUnavailableError("coqtop missing; apt-get install coq"), litellm.ServiceUnavailableError, 503),
    (errors.JsonParseError("bad json", scillm_meta={"reason": "json_parse_failed"}), litellm.APIError, 500),
    (errors.ConfigError("no api_base"), litellm.BadRequestError, 400),
    (errors.InvalidRequestError("items must be a list"), litellm.BadRequestError, 400),
    (errors.RequireProvedError("2 items unproved", unproved=[{"i": 1}]), litellm.APIError, 500),
    (errors.InvalidJsonError("not valid JSON: Expecting value"), litellm.APIError, 500),
    (errors.JobNotFoundError("no job j-1"), litellm.NotFoundError, 404),
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


def test_every_scillm_error_has_its_own_row() -> None:
    from scillm.llms.errors import TABLE

    classes = [getattr(errors, n) for n in errors.__all__ if isinstance(getattr(errors, n), type)]
    assert sorted(c.__name__ for c, _, _ in TABLE) == sorted(c.__name__ for c in classes)
    for cls, twin, _ in TABLE:
        assert issubclass(twin, cls) and twin.__module__ == "scillm.llms.errors"


@pytest.mark.parametrize(("exc", "litellm_type", "status"), [
    (errors.BridgeBusyError("at capacity", status_code=429), litellm.RateLimitError, 429),
    (errors.BridgeAuthError("bad token", status_code=401), litellm.AuthenticationError, 401),
    (errors.BridgeTimeoutError("deadline", status_code=504, body={"results": []}), litellm.Timeout, 408),
    (errors.BridgeUnavailableError("down", status_code=503), litellm.ServiceUnavailableError, 503),
    (errors.BusyError("pool full"), litellm.RateLimitError, 429),
])
def test_bridge_and_busy_errors_map_to_the_kind_a_router_retries(exc: errors.ScillmError, litellm_type: type,
                                                                 status: int) -> None:
    with pytest.raises(litellm_type) as info, map_exceptions(provider="certainly", model="certainly/coq"):
        raise exc
    mapped = info.value
    assert isinstance(mapped, type(exc)) and mapped.status_code == status
    assert mapped.__cause__ is exc and getattr(mapped, "body", None) == getattr(exc, "body", None)


def test_a_subclass_outside_the_tree_maps_through_its_ancestor() -> None:
    class FieldError(errors.InvalidRequestError):
        pass

    mapped = to_litellm(FieldError("items[0]: bad"), provider="p", model="m")
    assert isinstance(mapped, errors.InvalidRequestError) and isinstance(mapped, litellm.BadRequestError)
