"""The error boundary in `cli.py`: interrupts, broken pipes, untrusted error text."""

from __future__ import annotations

import errno
import io
import sys
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from chainkit._internal.output import emit_text, set_interrupt_hint
from chainkit.cli import cli
from chainkit.errors import ExitCode, ServiceError


class _Failing(io.StringIO):
    def __init__(self, code: int) -> None:
        super().__init__()
        self.code = code

    def flush(self) -> None:
        raise OSError(self.code, "No space left on device")


@pytest.fixture
def probe() -> Iterator[click.Group]:
    @click.command("probe")
    @click.argument("kind")
    def command(kind: str) -> None:
        if kind == "interrupt":
            set_interrupt_hint("re-run `chainkit probe` to resume")
            raise KeyboardInterrupt
        if kind == "plain-interrupt":
            raise KeyboardInterrupt
        if kind == "pipe":
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")
        if kind in ("gone", "full"):  # `chainkit ... >&-` (no stdout), `>/dev/full`
            runner_stdout = sys.stdout
            sys.stdout = None if kind == "gone" else _Failing(errno.ENOSPC)  # type: ignore[assignment]
            try:
                emit_text("findings")
            finally:
                sys.stdout = runner_stdout  # CliRunner flushes it afterwards
            return ExitCode.FINDINGS
        if kind == "data":
            emit_text("data")
            return
        raise ServiceError("GitHub said \x1b[2J\x1b]8;;https://evil\x07click\r\nfake line")

    cli.add_command(command)
    yield cli
    cli.commands.pop("probe")


def test_an_interrupt_says_the_commands_hint_and_exits_130(probe: click.Group) -> None:
    result = CliRunner().invoke(probe, ["probe", "interrupt"])
    assert result.exit_code == 130
    assert result.stderr.strip().splitlines()[-2:] == [
        "interrupted",
        "  hint: re-run `chainkit probe` to resume",
    ]
    # the hint belongs to that run only
    again = CliRunner().invoke(probe, ["probe", "plain-interrupt"])
    assert again.exit_code == 130
    assert "hint" not in again.stderr


def test_a_broken_pipe_outside_the_data_writers_is_a_failure(probe: click.Group) -> None:
    # stdout's own broken pipe is handled by the data writers (quiet, the command's code);
    # one that escapes a command is another pipe (a subprocess, a socket): never success
    result = CliRunner().invoke(probe, ["probe", "pipe"])
    assert result.exit_code == 3
    assert "internal error (BrokenPipeError)" in result.stderr
    # a closed pipe belongs to that run: the next run in this process prints its data
    again = CliRunner().invoke(probe, ["probe", "data"])
    assert again.exit_code == 0 and again.stdout == "data\n"


def test_an_error_quoting_a_server_is_one_inert_line(probe: click.Group) -> None:
    result = CliRunner().invoke(probe, ["probe", "service"], env={"GITHUB_ACTIONS": ""})
    assert result.exit_code == 3
    assert result.stderr == (
        "error: GitHub said \\x1b[2J\\x1b]8;;https://evil\\x07click\\x0d\\x0afake line\n"
    )


def test_no_stdout_at_all_keeps_the_commands_own_code(probe: click.Group) -> None:
    result = CliRunner().invoke(probe, ["probe", "gone"])
    assert result.exit_code == ExitCode.FINDINGS
    assert result.stderr == ""


def test_a_full_stdout_is_a_service_error_not_a_bug(probe: click.Group) -> None:
    result = CliRunner().invoke(probe, ["probe", "full"])
    assert result.exit_code == ExitCode.FAILURE
    assert "could not write the output to stdout" in result.stderr
    assert "internal error" not in result.stderr and "bug" not in result.stderr
