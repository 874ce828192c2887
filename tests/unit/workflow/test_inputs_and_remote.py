"""Typed workflow inputs and the refusal of remote actions the runner does not emulate."""

from __future__ import annotations

from typing import Any

import pytest

from chainkit.workflow import EMULATED, WorkflowUsageError
from chainkit.workflow._inputs import event_inputs, trigger_of
from chainkit.workflow._remote import resolve_remote

DOC: dict[str, Any] = {
    "on": {
        "workflow_call": {"inputs": {"n": {"type": "number", "required": True}}},
        "workflow_dispatch": {
            "inputs": {
                "flag": {"type": "boolean", "default": True},
                "count": {"type": "number", "default": 2},
                "color": {"type": "choice", "options": ["red", "green"]},
                "name": {"required": True},
            }
        },
    }
}


def test_dispatch_is_preferred_and_inputs_are_typed() -> None:
    assert trigger_of(DOC) == "workflow_dispatch"
    typed, event = event_inputs(DOC, "workflow_dispatch", {"name": "x", "flag": "false"})
    assert typed == {"flag": False, "count": 2, "color": "", "name": "x"}
    assert event["inputs"]["flag"] == "false"  # github.event.inputs holds strings


@pytest.mark.parametrize(
    ("given", "match"),
    [
        ({"name": "x", "bogus": "1"}, "unknown input"),
        ({}, "input name is required"),
        ({"name": "x", "flag": "yes"}, "boolean"),
        ({"name": "x", "count": "many"}, "number"),
        ({"name": "x", "count": "nan"}, "number"),
        ({"name": "x", "color": "blue"}, "one of red, green"),
    ],
)
def test_bad_inputs_are_usage_errors(given: dict[str, str], match: str) -> None:
    with pytest.raises(WorkflowUsageError, match=match) as info:
        event_inputs(DOC, "workflow_dispatch", given)
    assert info.value.exit_code == 2


def test_workflow_call_numbers() -> None:
    typed, event = event_inputs(DOC, "workflow_call", {"n": "1.5"})
    assert typed == {"n": 1.5}
    assert event == {}


def test_only_pinned_emulated_actions_resolve() -> None:
    sha = "a" * 40
    assert resolve_remote(f"actions/checkout@{sha}") is EMULATED["actions/checkout"]
    assert resolve_remote(f"github/codeql-action/upload-sarif@{sha}") is not None
    with pytest.raises(WorkflowUsageError, match="not pinned"):
        resolve_remote("actions/checkout@v4")
    with pytest.raises(WorkflowUsageError, match="not pinned"):
        resolve_remote("actions/checkout@" + "a" * 39)
    with pytest.raises(WorkflowUsageError, match="emulates only"):
        resolve_remote(f"evil/action@{sha}")
