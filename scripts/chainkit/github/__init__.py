"""The GitHub boundary: releases, assets, environments through PyGithub."""

from __future__ import annotations

from chainkit.github._client import (
    AssetExistsError,
    ClientSettings,
    GitHubClient,
    GitHubError,
    GitHubServiceError,
    GitHubUsageError,
    ImmutableReleaseError,
    NotFoundError,
    default_write_interval,
)
from chainkit.github._models import Asset, Environment, Release

__all__ = [
    "Asset",
    "AssetExistsError",
    "ClientSettings",
    "Environment",
    "GitHubClient",
    "GitHubError",
    "GitHubServiceError",
    "GitHubUsageError",
    "ImmutableReleaseError",
    "NotFoundError",
    "Release",
    "default_write_interval",
]
