"""``chainkit backfill``: sign historical releases (plan, then apply)."""

from __future__ import annotations

import click

__all__ = ["backfill"]


@click.group()
def backfill() -> None:
    """Backfill Sigstore bundles onto historical GitHub releases: plan, then apply."""
