"""The CLI conventions: version, help, exit codes, error boundary."""

from __future__ import annotations

from collections.abc import Iterator

import click
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


@pytest.fixture
def probe() -> Iterator[click.Group]:
    """Temporarily add a `probe` command that raises what the test asks for."""

    @click.command("probe")
    @click.argument("kind")
    def command(kind: str) -> ExitCode:
        if kind == "usage":
            raise UsageError("bad thing", remediation="do the right thing")
        if kind == "service":
            raise ServiceError("GitHub is down")
        if kind == "bug":
            raise RuntimeError("unexpected")
        return ExitCode.FINDINGS

    cli.add_command(command)
    yield cli
    cli.commands.pop("probe")


def test_errors_are_reported_once_with_remediation(probe: click.Group) -> None:
    result = CliRunner().invoke(probe, ["probe", "usage"], env={"GITHUB_ACTIONS": ""})
    assert result.exit_code == 2
    assert "error: bad thing" in result.stderr and "hint: do the right thing" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_service_errors_exit_3(probe: click.Group) -> None:
    assert CliRunner().invoke(probe, ["probe", "service"]).exit_code == 3


def test_commands_return_their_exit_code(probe: click.Group) -> None:
    assert CliRunner().invoke(probe, ["probe", "findings"]).exit_code == 1


def test_bugs_are_exit_3_with_traceback_only_verbose(probe: click.Group) -> None:
    quiet = CliRunner().invoke(probe, ["probe", "bug"])
    assert quiet.exit_code == 3
    assert "internal error (RuntimeError)" in quiet.stderr and "-v" in quiet.stderr
    assert "Traceback" not in quiet.stderr
    loud = CliRunner().invoke(probe, ["-v", "probe", "bug"])
    assert loud.exit_code == 3 and "Traceback" in loud.stderr


def test_errors_become_annotations_in_actions(probe: click.Group) -> None:
    result = CliRunner().invoke(probe, ["probe", "usage"], env={"GITHUB_ACTIONS": "true"})
    assert "::error title=chainkit::bad thing (do the right thing)" in result.stderr
