"""``chainkit sandbox``: local stand-ins for GitHub and Sigstore."""

from __future__ import annotations

import click

__all__ = ["sandbox"]


@click.group()
def sandbox() -> None:
    """Run local, faithful stand-ins for the GitHub REST API and Sigstore."""
