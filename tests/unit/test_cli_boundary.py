"""The error boundary in `cli.py`: interrupts, broken pipes, untrusted error text."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from chainkit._internal.output import emit_text, set_interrupt_hint
from chainkit.cli import cli
from chainkit.errors import ServiceError


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
            raise BrokenPipeError
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


def test_a_broken_pipe_outside_the_data_writers_is_quiet(probe: click.Group) -> None:
    result = CliRunner().invoke(probe, ["probe", "pipe"])
    assert result.exit_code == 141
    assert result.stderr == ""
    # a closed pipe belongs to that run: the next run in this process prints its data
    again = CliRunner().invoke(probe, ["probe", "data"])
    assert again.exit_code == 0 and again.stdout == "data\n"


def test_an_error_quoting_a_server_is_one_inert_line(probe: click.Group) -> None:
    result = CliRunner().invoke(probe, ["probe", "service"], env={"GITHUB_ACTIONS": ""})
    assert result.exit_code == 3
    assert result.stderr == (
        "error: GitHub said \\x1b[2J\\x1b]8;;https://evil\\x07click\\x0d\\x0afake line\n"
    )
