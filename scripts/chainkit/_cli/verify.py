"""``chainkit verify``: verify Sigstore bundles on releases or local files."""

from __future__ import annotations

import click

from chainkit.errors import UsageError

__all__ = ["verify"]


@click.command()
def verify() -> None:
    """Verify Sigstore bundles: identity, issuer, source repository, digest, log entry."""
    raise UsageError("chainkit verify is not available in this build yet")
