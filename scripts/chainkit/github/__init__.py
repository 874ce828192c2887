"""The GitHub boundary: releases, assets, environments through PyGithub."""

from __future__ import annotations

from chainkit.github._models import Asset, Environment, Release

__all__ = ["Asset", "Environment", "Release"]
