"""The GitHub boundary: releases, assets, environments and artifact attestations through PyGithub.

:class:`GitHubClient` (built with :meth:`GitHubClient.from_context`) is the only way
chainkit talks to GitHub; it returns chainkit's frozen :class:`Release`, :class:`Asset`
and :class:`Environment` values and raises only :class:`GitHubError` subclasses
(``AuthError``, ``ForbiddenError``, ``NotFoundError``, ``AssetExistsError``,
``ImmutableReleaseError``, ``RateLimitedError``, ``GitHubServiceError`` ...), which
carry ``status`` and ``is_auth_failure``. PyGithub's objects and exceptions never
leave this package (ADR 0003). Every write is paced to a :class:`WriteBudget` (GitHub's
content-creation limits; :data:`GITHUB_WRITE_BUDGET` by default).
"""

from __future__ import annotations

from chainkit.github._budget import (
    GITHUB_WRITE_BUDGET,
    BudgetSyntaxError,
    Window,
    WriteBudget,
    WritePacer,
    format_duration,
)
from chainkit.github._client import (
    MAX_ATTESTATIONS,
    ClientSettings,
    GitHubClient,
    default_write_interval,
)
from chainkit.github._errors import (
    AssetExistsError,
    AttestationsUnavailableError,
    AuthError,
    ForbiddenError,
    GitHubError,
    GitHubServiceError,
    GitHubUsageError,
    ImmutableReleaseError,
    NotFoundError,
    RateLimitedError,
)
from chainkit.github._models import Asset, Attestation, AttestationList, Environment, Release

__all__ = [
    "GITHUB_WRITE_BUDGET",
    "MAX_ATTESTATIONS",
    "Asset",
    "AssetExistsError",
    "Attestation",
    "AttestationList",
    "AttestationsUnavailableError",
    "AuthError",
    "BudgetSyntaxError",
    "ClientSettings",
    "Environment",
    "ForbiddenError",
    "GitHubClient",
    "GitHubError",
    "GitHubServiceError",
    "GitHubUsageError",
    "ImmutableReleaseError",
    "NotFoundError",
    "RateLimitedError",
    "Release",
    "Window",
    "WriteBudget",
    "WritePacer",
    "default_write_interval",
    "format_duration",
]
