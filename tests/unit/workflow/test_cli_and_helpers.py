"""The ``workflow`` command group and the runner's pure helpers (matrix, permissions, order)."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from chainkit.cli import cli
from chainkit.workflow import WorkflowUsageError
from chainkit.workflow._runner import _any_write, _grants, _job_order, _matrix, _permissions


def test_the_group_and_its_run_command_have_help() -> None:
    top = CliRunner().invoke(cli, ["--help"])
    assert "workflow" in top.output
    run = CliRunner().invoke(cli, ["workflow", "run", "--help"])
    assert run.exit_code == 0
    for option in ("--input", "--job", "--workspace", "--artifacts", "--oidc", "--json"):
        assert option in run.output


def test_matrix_product_exclude_include() -> None:
    strategy: dict[str, Any] = {
        "matrix": {
            "py": ["3.10", "3.11"],
            "os": ["linux", "mac"],
            "exclude": [{"py": "3.10", "os": "mac"}],
            "include": [{"py": "3.11", "extra": "yes"}, {"py": "3.13", "os": "linux"}],
        }
    }
    assert _matrix(strategy) == [
        {"py": "3.10", "os": "linux"},
        {"py": "3.11", "os": "linux", "extra": "yes"},
        {"py": "3.11", "os": "mac", "extra": "yes"},
        {"py": "3.13", "os": "linux"},
    ]
    assert _matrix(None) == [{}]


@pytest.mark.parametrize(
    ("value", "writes", "id_token"),
    [
        (None, True, False),  # no permissions: GitHub's default may write
        ({}, False, False),
        ("read-all", False, False),
        ("write-all", True, True),
        ({"contents": "read"}, False, False),
        ({"contents": "write", "id-token": "write"}, True, True),
        ({"id-token": "write"}, False, True),  # id-token alone: the read token (review 5)
    ],
)
def test_permissions(value: Any, writes: bool, id_token: bool) -> None:
    perms = _permissions(value)
    assert _any_write(perms) is writes
    assert _grants(perms, "id-token") is id_token


def test_job_order_follows_needs_and_selection_pulls_needs_in() -> None:
    jobs = {"c": {"needs": ["a", "b"]}, "b": {"needs": "a"}, "a": {}, "d": {}}
    assert _job_order(jobs, None) == ["a", "b", "c", "d"]  # ready jobs in file order
    assert _job_order(jobs, ["b"]) == ["a", "b"]
    with pytest.raises(WorkflowUsageError, match="no job named"):
        _job_order(jobs, ["zz"])
