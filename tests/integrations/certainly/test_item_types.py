"""An item field of the wrong JSON type is that item's named `error`; the rest of the batch is proved."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scillm
from scillm.bridges.policy import door_check_certainly
from scillm.integrations.certainly.models import Backend
from scillm.integrations.certainly.normalize import normalize_item
from scillm.integrations.certainly.options import RequestFieldError
from tests.support.item_fields import (
    CONTROL,
    OPTIONAL,
    STATEMENT,
    batch,
    check_batch,
    wrong_item,
    wrong_items,
)

_FAST = settings(max_examples=300, deadline=None, derandomize=True, database=None)
_PROVED = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))


@_FAST
@given(pair=wrong_item(), backend=st.sampled_from(["coq", "lean"]))
def test_a_wrong_typed_field_is_an_invalid_item_naming_it(pair: tuple[dict[str, Any], str], backend: Backend) -> None:
    item, field = pair
    norm = normalize_item(item, 0, backend=backend)
    assert norm.kind == "invalid" and norm.problem is None, (item, norm)
    assert norm.error is not None and field in norm.error, (field, norm.error)


@_FAST
@given(pair=wrong_item())
def test_the_door_check_never_fails_on_a_wrong_typed_field(pair: tuple[dict[str, Any], str]) -> None:
    item, field = pair
    try:
        door_check_certainly([item])
    except RequestFieldError as exc:
        assert all(loc.startswith("items.0.") for loc, _ in exc.problems), exc.problems


def test_mixed_key_types_in_a_python_item_are_named_not_a_crash() -> None:
    norm = normalize_item({"requirement_text": STATEMENT, 1: "x", "extra": 2}, 0, backend="coq")
    assert norm.kind == "invalid" and norm.error is not None and "unknown item field" in norm.error


@pytest.fixture(scope="module")
def cache_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield str(tmp_path_factory.mktemp("item-types") / "cache.sqlite3")


def _results(items: list[Any], cache: str) -> list[dict[str, Any]]:
    response = scillm.certainly_prove(items=items, backend="coq", cache=cache)
    results: list[dict[str, Any]] = response.additional_kwargs["certainly"]["results"]
    return results


@pytest.mark.needs_coq
@_PROVED
@given(pairs=wrong_items())
def test_certainly_prove_answers_every_item_in_order(cache_file: str, pairs: list[tuple[dict[str, Any], str]]) -> None:
    check_batch(_results(batch(pairs), cache_file), pairs)


@pytest.mark.needs_coq
def test_none_is_an_optional_field_left_out(cache_file: str) -> None:
    items = [{**CONTROL, field: None} for field in OPTIONAL if field not in ("text", "requirement")]
    results = _results(items, cache_file)
    assert [r["status"] for r in results] == ["proved"] * len(items), results
