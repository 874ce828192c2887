"""The subcommands of ``chainkit`` (one module each), imported lazily by :mod:`chainkit.cli`.

A command parses its options (shared ones come from :mod:`chainkit._cli._options`),
builds the real clients, calls one public function of a boundary
(:mod:`chainkit.backfill`, :mod:`chainkit.verify`, :mod:`chainkit.sandbox`, ...) and
renders the result. No module here imports a private module of another package
(``tests/unit/test_architecture.py`` checks it), and heavy libraries are imported
inside the commands, so ``chainkit --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chainkit._internal.ghenv import GitHubContext
    from chainkit.github import GitHubClient, WriteBudget

__all__ = ["github_client"]


def github_client(
    context: GitHubContext,
    *,
    write_interval: float | None = None,
    write_budget: WriteBudget | None = None,
    rerun: str = "re-run the command",
) -> GitHubClient:
    """The real GitHub client for ``context``; writes are spaced by ``write_interval``
    seconds (``None``: 1 on GitHub, 0 on a loopback API) and paced to ``write_budget``
    (``None``: github.com's); ``rerun`` is the advice after a service failure (say "it
    resumes" only for a command that does)."""
    from chainkit.github import (
        GITHUB_WRITE_BUDGET,
        ClientSettings,
        GitHubClient,
        default_write_interval,
    )

    interval = default_write_interval(context.api_url) if write_interval is None else write_interval
    settings = ClientSettings(
        write_interval=interval, write_budget=write_budget or GITHUB_WRITE_BUDGET, rerun=rerun
    )
    return GitHubClient.from_context(context, settings=settings)
