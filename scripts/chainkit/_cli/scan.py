"""``chainkit scan``: bandit and gitleaks (filled by a later issue)."""

from __future__ import annotations

import click

__all__ = ["scan"]


@click.group()
def scan() -> None:
    """Scan code (bandit) and history (gitleaks) with SARIF output (coming in a later release)."""
