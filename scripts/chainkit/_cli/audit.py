"""``chainkit audit``: dependency audit with pip-audit and a policy."""

from __future__ import annotations

import click

from chainkit.errors import UsageError

__all__ = ["audit"]


@click.command()
def audit() -> None:
    """Audit dependencies for known vulnerabilities, with a policy."""
    raise UsageError("chainkit audit is not available in this build yet")
