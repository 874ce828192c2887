"""The CLI conventions: version, help, exit codes, error boundary."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from chainkit import __version__
from chainkit.cli import cli
from chainkit.errors import Error, ExitCode, ServiceError, UsageError, VerificationError


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


@pytest.mark.parametrize("group", ["sandbox", "backfill", "verify", "audit", "sbom", "scan"])
def test_help_lists_every_group(group: str) -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert group in result.output
    sub = CliRunner().invoke(cli, [group, "--help"])
    assert sub.exit_code == 0, sub.output


def test_unknown_command_is_usage_error() -> None:
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == ExitCode.USAGE


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (UsageError("bad", remediation="fix it"), 2),
        (ServiceError("down"), 3),
        (VerificationError("mismatch"), 1),
        (Error("generic"), 3),
    ],
)
def test_error_kinds_map_to_exit_codes(error: Error, code: int) -> None:
    assert error.exit_code == code


def test_error_render_includes_remediation() -> None:
    assert UsageError("bad", remediation="fix it").render() == "bad\n  hint: fix it"
