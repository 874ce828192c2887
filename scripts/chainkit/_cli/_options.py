"""Click options shared by several commands, declared once.

Every option read from the environment goes through :func:`env_option`, which appends
``[env: NAME, ...]`` to its help, so ``--help`` always names the variables. Only
``click`` is imported here: ``chainkit --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = [
    "bundle_release_option",
    "env_option",
    "identity_token_option",
    "json_option",
    "repo_option",
    "sandbox_dir_option",
    "state_dir_option",
    "trust_config_option",
    "verbose_option",
    "write_budget_option",
    "write_interval_option",
]

F = TypeVar("F", bound=Callable[..., Any])


def env_option(*decls: str, envvar: str | Sequence[str], help: str, **kw: Any) -> Callable[[F], F]:
    """``click.option`` read from ``envvar`` (first set wins), named at the end of ``help``."""
    names = [envvar] if isinstance(envvar, str) else list(envvar)
    text = f"{help} [env: {', '.join(names)}]"
    return click.option(*decls, envvar=names, help=text, **kw)


def verbose_option() -> Callable[[F], F]:
    return env_option(
        "-v",
        "--verbose",
        is_flag=True,
        envvar="CHAINKIT_VERBOSE",
        help="Debug logging, and tracebacks for errors.",
    )


def repo_option(help: str = "Repository.", *, from_workflow: bool = True) -> Callable[[F], F]:
    """``--repo OWNER/NAME``; ``from_workflow``: default to the workflow's own repository
    (``GITHUB_REPOSITORY``) when ``CHAINKIT_REPO`` is not set."""
    envvars = ["CHAINKIT_REPO", "GITHUB_REPOSITORY"] if from_workflow else ["CHAINKIT_REPO"]
    return env_option("--repo", metavar="OWNER/NAME", envvar=envvars, help=help)


def trust_config_option(
    help: str = "Sigstore ClientTrustConfig (default: production Sigstore).",
) -> Callable[[F], F]:
    return env_option(
        "--trust-config",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        envvar="CHAINKIT_TRUST_CONFIG",
        help=help,
    )


def bundle_release_option(help: str) -> Callable[[F], F]:
    return env_option(
        "--bundle-release", metavar="TAG", envvar="CHAINKIT_BUNDLE_RELEASE", help=help
    )


def json_option(help: str = "JSON report on stdout.") -> Callable[[F], F]:
    return click.option("--json", "as_json", is_flag=True, help=help)


def state_dir_option() -> Callable[[F], F]:
    return env_option(
        "--state-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=".chainkit-state",
        show_default=True,
        envvar="CHAINKIT_STATE_DIR",
        help="Journal and work files (resumable).",
    )


MAX_WRITE_INTERVAL = 86_400.0
"""The longest ``--write-interval`` (a day, as the longest write-budget window)."""


class _Seconds(click.FloatRange):
    """Seconds from 0 to ``max``: ``nan`` (which every comparison lets through) and
    ``inf`` are refused as usage errors."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if seconds != seconds:  # nan
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        return seconds


def write_interval_option() -> Callable[[F], F]:
    return env_option(
        "--write-interval",
        type=_Seconds(min=0, max=MAX_WRITE_INTERVAL),
        metavar="SECONDS",
        envvar="CHAINKIT_WRITE_INTERVAL",
        help="Seconds between writes (default 1 on GitHub, 0 on a loopback API).",
    )


def write_budget_option() -> Callable[[F], F]:
    return env_option(
        "--write-budget",
        metavar="N/Ts,...",
        envvar="CHAINKIT_WRITE_BUDGET",
        help="GitHub's content-creation limits to pace writes to "
        "(default github.com's: 80/60s,500/3600s; set your GitHub Enterprise Server's).",
    )


def identity_token_option() -> Callable[[F], F]:
    return env_option(
        "--identity-token",
        envvar="CHAINKIT_IDENTITY_TOKEN",
        metavar="JWT",
        help="OIDC identity token (default in Actions: the job's ambient token).",
    )


def sandbox_dir_option() -> Callable[[F], F]:
    return env_option(
        "--dir",
        "directory",
        type=click.Path(file_okay=False, path_type=Path),
        default=".chainkit-sandbox",
        show_default=True,
        envvar="CHAINKIT_SANDBOX_DIR",
        help="State directory of the sandbox.",
    )
