"""Item normalisation: accepted shapes and the named errors for bad items."""

from __future__ import annotations

import pytest

from scillm.errors import InvalidRequestError
from scillm.integrations.codeworld.normalize import normalize_item


def test_cases_variants_and_ids() -> None:
    task = normalize_item(
        {
            "task": "sort",
            "id": 7,
            "context": {
                "code_variants": {"a": "def solve(x):\n    return sorted(x)\n"},
                "cases": [{"input": [2, 1], "expected": [1, 2]}, {"args": [[3], 1], "expected": [3]}],
            },
        },
        0,
    )
    assert task.task_id == "7"
    assert task.entry == "solve"
    assert [c.args for c in task.cases] == [[[2, 1]], [[3], 1]]
    assert task.cases[0].expected == [1, 2]


def test_single_input_is_one_case_and_list_variants_get_ids() -> None:
    task = normalize_item(
        {"context": {"code_variants": ["def solve(x): return x", {"id": "b", "code": "def solve(x): return 1"}],
                     "input": 5, "expected": 5, "entry": "solve"}},
        3,
    )
    assert task.task_id == "item-3"
    assert list(task.variants) == ["v0", "b"]
    assert len(task.cases) == 1 and task.cases[0].args == [5]


def test_case_without_expected_only_checks_it_runs() -> None:
    task = normalize_item({"context": {"code_variants": {"a": "x"}, "cases": [{"input": 1}]}}, 0)
    assert task.cases[0].has_expected is False


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ("not an object", "must be an object"),
        ({"context": {"code_variants": {"a": "x"}}}, "context.cases"),
        ({"context": {"code_variants": {"a": ""}, "input": 1}}, "non-empty source"),
        ({"context": {"code_variants": 3, "input": 1}}, "code_variants"),
        ({"context": {"code_variants": {"a": "x"}, "cases": [{"expected": 1}]}}, "neither `input` nor `args`"),
        ({"context": {"code_variants": {"a": "x"}, "input": 1, "entry": "not valid"}}, "identifier"),
        ({"context": {"code_variants": {"a": "x"}, "cases": []}}, "non-empty list"),
    ],
)
def test_bad_items_name_the_field(item: object, field: str) -> None:
    with pytest.raises(InvalidRequestError, match=field):
        normalize_item(item, 0)
