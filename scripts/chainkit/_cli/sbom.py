"""``chainkit sbom``: CycloneDX SBOMs (filled by a later issue)."""

from __future__ import annotations

import click

__all__ = ["sbom"]


@click.group()
def sbom() -> None:
    """Generate, validate and sign CycloneDX SBOMs (coming in a later release)."""
