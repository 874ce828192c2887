"""The CLI conventions: version, help, exit codes, error boundary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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


def _commands(group: click.Group, ctx: click.Context) -> Iterator[tuple[str, click.Command]]:
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        yield name, command
        if isinstance(command, click.Group):
            for sub, leaf in _commands(command, ctx):
                yield f"{name} {sub}", leaf


def test_every_option_help_names_its_environment_variables() -> None:
    ctx = click.Context(cli)
    checked = 0
    for name, command in _commands(cli, ctx):
        for param in command.params:
            if not isinstance(param, click.Option) or not param.envvar:
                continue
            names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar)
            for var in names:
                assert var in (param.help or ""), f"chainkit {name} {param.opts[0]}: {var}"
            checked += 1
    assert checked >= 20


def test_shared_options_are_declared_once() -> None:
    ctx = click.Context(cli)
    helps: dict[str, set[str]] = {}
    for name, command in _commands(cli, ctx):
        if name.startswith("audit"):
            continue  # audit's options are its own (another module's owner)
        for param in command.params:
            if isinstance(param, click.Option) and param.opts[0] in {
                "--state-dir",
                "--write-interval",
                "--identity-token",
                "--dir",
            }:
                helps.setdefault(param.opts[0], set()).add(param.help or "")
    assert set(helps) == {"--state-dir", "--write-interval", "--identity-token", "--dir"}
    assert all(len(texts) == 1 for texts in helps.values()), helps


def _parse(path: list[str], args: list[str]) -> dict[str, object]:
    ctx = click.Context(cli)
    command: click.Command | None = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.get_command(ctx, name)
    assert command is not None
    return command.make_context(path[-1], args).params


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GITHUB_REPOSITORY": "acme/from-actions"}, "acme/from-actions"),
        ({"GITHUB_REPOSITORY": "acme/from-actions", "CHAINKIT_REPO": "acme/chosen"}, "acme/chosen"),
        ({}, None),
    ],
)
def test_backfill_repo_defaults_to_the_workflow_repository(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str | None
) -> None:
    for var in ("GITHUB_REPOSITORY", "CHAINKIT_REPO"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert _parse(["backfill", "plan"], [])["repo"] == expected


def test_verify_repo_ignores_the_workflow_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    # verify takes FILEs or --repo; in Actions GITHUB_REPOSITORY is always set, so
    # reading it would turn every `verify FILE` into a usage error.
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/from-actions")
    monkeypatch.delenv("CHAINKIT_REPO", raising=False)
    assert _parse(["verify"], ["--cert-oidc-issuer", "https://issuer"])["repo"] is None
    monkeypatch.setenv("CHAINKIT_REPO", "acme/chosen")
    assert _parse(["verify"], ["--cert-oidc-issuer", "https://issuer"])["repo"] == "acme/chosen"


def test_help_imports_no_boundary_and_no_heavy_library() -> None:
    import subprocess
    import sys

    code = (
        "import contextlib, io, sys\n"
        "from chainkit.cli import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    cli.main(['--help'], prog_name='chainkit', standalone_mode=False)\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(result.stdout.split())
    heavy = {"sigstore", "rich", "requests", "github", "chainkit.backfill", "chainkit.signing"}
    assert "chainkit.cli" in loaded
    assert not heavy & loaded, heavy & loaded


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "86401", "1e400", "-1"])
def test_write_interval_must_be_finite_seconds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    # review 9, break 6: inf crashed (OverflowError, an internal error), nan dropped the
    # interval silently; both are usage errors, from the option and from the environment
    plan = tmp_path / "plan.json"
    plan.write_text("{}")
    with pytest.raises(click.BadParameter):
        _parse(["backfill", "apply"], ["--plan", str(plan), "--write-interval", value])
    monkeypatch.setenv("CHAINKIT_WRITE_INTERVAL", value)
    result = CliRunner().invoke(cli, ["backfill", "apply", "--plan", str(plan)])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "--write-interval" in result.output


@pytest.mark.parametrize(("value", "seconds"), [("0", 0.0), ("1.5", 1.5), ("86400", 86400.0)])
def test_write_interval_takes_finite_seconds(tmp_path: Path, value: str, seconds: float) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text("{}")
    params = _parse(["backfill", "apply"], ["--plan", str(plan), "--write-interval", value])
    assert params["write_interval"] == seconds
