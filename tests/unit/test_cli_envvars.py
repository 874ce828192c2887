"""Every option read from the environment names its variables in ``--help``."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from chainkit.cli import cli


def _commands(
    group: click.Command, ctx: click.Context, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, group
    if isinstance(group, click.Group):
        for name in group.list_commands(ctx):
            sub = group.get_command(ctx, name)
            assert sub is not None, name
            yield from _commands(sub, click.Context(sub, parent=ctx), (*path, name))


ALL = list(_commands(cli, click.Context(cli)))


def test_every_command_is_found() -> None:
    names = {" ".join(path) for path, _ in ALL}
    assert {"backfill plan", "backfill apply", "verify", "audit", "sandbox up"} <= names


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(p) or "chainkit" for p, _ in ALL])
def test_every_env_option_names_its_variables(
    path: tuple[str, ...], command: click.Command
) -> None:
    missing = []
    for param in command.params:
        if not isinstance(param, click.Option) or not param.envvar:
            continue
        names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar)
        if not all(name in (param.help or "") for name in names):
            missing.append(f"{param.opts[-1]} ({', '.join(names)})")
    assert not missing, f"{' '.join(path)}: help does not name the variables of {missing}"
    if any(isinstance(p, click.Option) and p.envvar for p in command.params):
        shown = CliRunner().invoke(cli, [*path, "--help"], terminal_width=200)
        assert shown.exit_code == 0, shown.output
        assert "[env: " in shown.output
