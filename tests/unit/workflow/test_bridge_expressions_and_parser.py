"""Expressions through GitHub's own engine (@actions/expressions via js/bridge.mjs)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chainkit.workflow import Bridge, WorkflowUsageError

pytestmark = pytest.mark.node

CONTEXT: dict[str, Any] = {
    "github": {"sha": "abc123", "event_name": "workflow_dispatch", "event": {"inputs": {}}},
    "steps": {"s": {"outputs": {"o": "v", "json": '{"a": [1, 2]}'}, "outcome": "success"}},
    "inputs": {"flag": False, "count": 3},
    "env": {"E": "e"},
}


@pytest.fixture(scope="module")
def bridge() -> Iterator[Bridge]:
    with Bridge() as b:
        yield b


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${{ github.sha }}-x", "abc123-x"),
        ("${{ steps.s.outputs.o }}", "v"),
        ("${{ fromJSON(steps.s.outputs.json).a[1] }}", 2),
        ("${{ fromJSON(steps.s.outputs.json) }}", {"a": [1, 2]}),
        ("${{ toJSON(inputs.flag) }}", "false"),
        ("${{ format('{0}/{1}', env.E, inputs.count) }}", "e/3"),
        ("${{ join(fromJSON('[\"a\",\"b\"]'), '+') }}", "a+b"),
        ("${{ contains('Hello', 'hell') }}", True),
        ("${{ startsWith(github.sha, 'ABC') }}", True),
        ("${{ inputs.missing || 'default' }}", "default"),
        ("${{ 1 == '1' }}", True),
        ("a ${{ 'x' }} b ${{ '}}' }}", "a x b }}"),
        ("${{ inputs.flag }} ${{ inputs.count }}", "false 3"),
        ("no expression", "no expression"),
    ],
)
def test_values(bridge: Bridge, template: str, expected: Any) -> None:
    assert bridge.evaluate(template, CONTEXT) == expected


@pytest.mark.parametrize(
    ("condition", "status", "expected"),
    [
        ("", "success", True),
        ("", "failure", False),
        ("github.sha == 'abc123'", "success", True),
        ("github.sha == 'abc123'", "failure", False),  # implicit success() &&
        ("failure()", "failure", True),
        ("${{ failure() }}", "success", False),
        ("always()", "cancelled", True),
        ("cancelled()", "cancelled", True),
        ("success()", "cancelled", False),
        ("!cancelled() && steps.s.outcome == 'success'", "failure", True),
        ("${{ inputs.flag }}", "success", False),
        # literal text around ${{ }}: GitHub's success() && (format(...)) (review 10)
        ("${{ github.sha }} == 'push'", "success", True),
        ("${{ github.sha }} == 'push'", "failure", False),
        ("${{ always() }} x", "failure", True),
    ],
)
def test_conditions_and_status_functions(
    bridge: Bridge, condition: str, status: str, expected: bool
) -> None:
    assert bridge.evaluate(condition, CONTEXT, status=status, condition=True) is expected


def test_hash_files_is_answered_by_the_caller(bridge: Bridge) -> None:
    seen: list[list[str]] = []

    def hash_files(patterns: Any) -> str:
        seen.append(list(patterns))
        return "feed"

    value = bridge.evaluate("${{ hashFiles('**/*.py', '!x') }}", CONTEXT, hash_files=hash_files)
    assert value == "feed"
    assert seen == [["**/*.py", "!x"]]


@pytest.mark.parametrize("bad", ["${{ nope.x }}", "${{ github.sha == }}", "${{ unknownFn() }}"])
def test_bad_expressions_raise(bridge: Bridge, bad: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        bridge.evaluate(bad, CONTEXT)


def test_the_parser_rejects_what_github_rejects(bridge: Bridge) -> None:
    with pytest.raises(WorkflowUsageError, match="rejects"):
        bridge.parse(
            "w.yml",
            "on: push\njobs:\n  a:\n    needs: b\n    runs-on: x\n    steps:\n      - run: x\n",
            kind="workflow",
        )
    with pytest.raises(WorkflowUsageError, match="shell"):
        bridge.parse(
            "action.yml",
            "name: a\ndescription: b\nruns:\n  using: composite\n  steps:\n    - run: x\n",
            kind="action",
        )
    assert bridge.versions == {
        "@actions/workflow-parser": "0.3.61",
        "@actions/expressions": "0.3.61",
    }
