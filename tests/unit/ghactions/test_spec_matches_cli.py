"""Every input of every action maps to an option the click command really defines, and the
argument list the adapter builds parses with that command."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from chainkit.cli import cli
from chainkit.ghactions import ACTIONS, ActionSpec
from chainkit.ghactions._inputs import Inputs
from chainkit.ghactions._run import build_argv

VARIANTS = [(name, variant) for name, spec in ACTIONS.items() for variant in spec.commands]


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    ctx = click.Context(cli)
    for word in path:
        assert isinstance(command, click.Group)
        found = command.get_command(ctx, word)
        assert found is not None, f"chainkit has no command {' '.join(path)}"
        command = found
    return command


def _options(command: click.Command) -> dict[str, click.Parameter]:
    return {
        name: param
        for param in command.params
        if isinstance(param, click.Option)
        for name in (*param.opts, *param.secondary_opts)
    }


@pytest.mark.parametrize(("action", "variant"), VARIANTS)
def test_every_mapped_option_exists(action: str, variant: str) -> None:
    spec = ACTIONS[action]
    command = _command(spec.commands[variant])
    options = _options(command)
    checked = 0
    for item in spec.inputs:
        if not item.applies_to(variant) or item.secret:
            continue
        for name in filter(None, (item.option_for(variant), item.option_false)):
            assert name in options, f"{action}/{variant}: input {item.name} -> unknown {name}"
            param = options[name]
            if item.kind == "bool":
                assert isinstance(param, click.Option) and param.is_flag, (item.name, name)
            else:
                assert not (isinstance(param, click.Option) and param.is_flag), (item.name, name)
            if item.kind == "choice" and isinstance(param.type, click.Choice):
                assert set(item.choices) <= set(param.type.choices), (item.name, name)
            checked += 1
    for word in spec.fixed.get(variant, ()):
        if word.startswith("-"):
            assert word in options, f"{action}/{variant}: fixed option {word} unknown"
            checked += 1
    assert checked > 0


def _sample(spec: ActionSpec, variant: str, tmp_path: Path) -> Inputs:
    """Every applicable input given a plausible value (files exist where click checks)."""
    existing = tmp_path / "existing.json"
    existing.write_text("{}")
    samples = {
        "text": str(existing),
        "int": "3",
        "bool": "true",
    }
    special = {
        "repository": "acme/widgets",
        "since": "2024-01-01",
        "deadline": "5h30m",
        "write-budget": "80/60s",
        "expect-digest": "a" * 64,
        "cert-identity": "https://github.com/acme/widgets/.github/workflows/r.yml@refs/heads/main",
        "cert-oidc-issuer": "https://token.actions.githubusercontent.com",
        "source-repository": "acme/widgets",
        "pypi-project": "widgets",
        "state-dir": str(tmp_path / "state"),
        "sarif": str(tmp_path / "out.sarif"),
        "output": str(tmp_path / "sbom.json"),
        "path": str(tmp_path),
        "locked": str(tmp_path),
    }
    values: dict[str, str] = {}
    lists: dict[str, tuple[str, ...]] = {}
    for item in spec.inputs:
        if not item.applies_to(variant) or item.secret:
            continue
        if item.name == "files":
            continue  # verify: files and a repository are alternatives
        if item.name == "cert-identity-regexp":
            continue  # an alternative to cert-identity
        if item.kind in {"words", "lines"}:
            lists[item.name] = ("v*", "x*") if item.kind == "words" else (str(existing),)
        elif item.kind == "choice":
            values[item.name] = variant if item.name == spec.selector else item.choices[0]
        else:
            values[item.name] = special.get(item.name, samples.get(item.kind, str(existing)))
    if spec.selector:
        values[spec.selector] = variant
    return Inputs(variant, values, lists)


@pytest.mark.parametrize(("action", "variant"), VARIANTS)
def test_built_argument_list_parses(action: str, variant: str, tmp_path: Path) -> None:
    spec = ACTIONS[action]
    argv = build_argv(spec, _sample(spec, variant, tmp_path))
    path = spec.commands[variant]
    assert argv[: len(path)] == list(path)
    command = _command(path)
    ctx = command.make_context(" ".join(path), argv[len(path) :], parent=click.Context(cli))
    given = {k: v for k, v in ctx.params.items() if v not in (None, (), False)}
    assert len(given) >= 2, given


def test_verify_files_are_positional_after_a_separator(tmp_path: Path) -> None:
    spec = ACTIONS["verify"]
    inputs = Inputs("", {"cert-oidc-issuer": "https://issuer.example"}, {"files": ("a b.whl",)})
    argv = build_argv(spec, inputs)
    assert argv[-2:] == ["--", "a b.whl"]
    ctx = _command(("verify",)).make_context("verify", argv[1:], parent=click.Context(cli))
    assert [str(f) for f in ctx.params["files"]] == ["a b.whl"]
