"""Errors of the GitHub boundary.

Every failure of a GitHub call is one of these; nothing outside :mod:`chainkit.github`
sees PyGithub's or requests' exceptions. Each error mixes in the *kind* that decides the
exit code, and carries what callers decide on: :attr:`GitHubError.status` (the HTTP
status, when GitHub answered) and :attr:`GitHubError.is_auth_failure` (the token was
rejected or may not do this: every further call would fail alike).

======================================== ====== =========================================
error                                    exit   when
======================================== ====== =========================================
:class:`AuthError`                       2      401: the token is missing, expired, revoked
:class:`ForbiddenError`                  2      403: the token lacks a permission
:class:`NotFoundError`                   2      404: no such repository/release/asset
:class:`AssetExistsError`                2      422 ``already_exists``
:class:`ImmutableReleaseError`           2      422: the release takes no new assets
:class:`AttestationsUnavailableError`    2      403/404: no attestations API here
:class:`GitHubUsageError`                2      any other refusal (422, unsafe URLs, sizes)
:class:`RateLimitedError`                3      the rate limit is exhausted
:class:`GitHubServiceError`              3      5xx, unreachable, retries exhausted
======================================== ====== =========================================
"""

from __future__ import annotations

from typing import ClassVar

from chainkit.errors import Error, ServiceError, UsageError

__all__ = [
    "AssetExistsError",
    "AttestationsUnavailableError",
    "AuthError",
    "ForbiddenError",
    "GitHubError",
    "GitHubServiceError",
    "GitHubUsageError",
    "ImmutableReleaseError",
    "NotFoundError",
    "RateLimitedError",
]


class GitHubError(Error):
    """Base of every GitHub boundary error."""

    is_auth_failure: ClassVar[bool] = False
    """The token was rejected (401) or may not do this (403): retrying elsewhere is futile."""

    def __init__(
        self, message: str, *, remediation: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message, remediation=remediation)
        self.status = status
        """The HTTP status GitHub answered with, or ``None`` (no answer, or not HTTP)."""


class GitHubUsageError(GitHubError, UsageError):
    """GitHub refused the request: credentials, permissions, missing objects (exit 2)."""


class GitHubServiceError(GitHubError, ServiceError):
    """GitHub could not be reached or kept failing (exit 3)."""


class AuthError(GitHubUsageError):
    """401: GitHub rejected the token, or one is required."""

    is_auth_failure = True


class ForbiddenError(GitHubUsageError):
    """403 (not a rate limit): the token may not do this (e.g. write releases)."""

    is_auth_failure = True


class NotFoundError(GitHubUsageError):
    """404: the repository, release, tag or environment does not exist (or is hidden)."""


class AssetExistsError(GitHubUsageError):
    """422 ``already_exists``: an asset with this (sanitised) name is on the release."""


class ImmutableReleaseError(GitHubUsageError):
    """422: the release is immutable and takes no new assets."""


class RateLimitedError(GitHubServiceError):
    """GitHub's (primary or secondary) rate limit is exhausted (exit 3)."""


class AttestationsUnavailableError(GitHubUsageError):
    """403/404 from create-attestation: the attestations API is not available for this
    repository (e.g. a user-owned private repository, or a plan without the feature).
    Every release would fail alike, so it stops a run as an auth failure does."""

    is_auth_failure = True
