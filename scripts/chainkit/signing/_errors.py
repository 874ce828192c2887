"""Errors of the signing boundary."""

from __future__ import annotations

from chainkit.errors import Error, ServiceError, UsageError, VerificationError

__all__ = [
    "BundleVerificationError",
    "InvalidBundleError",
    "SigningError",
    "SigningServiceError",
    "SigningUsageError",
]


class SigningError(Error):
    """Base of every signing and verification error."""


class SigningUsageError(SigningError, UsageError):
    """Bad signing input: trust config, identity token, bundle file (exit 2)."""


class SigningServiceError(SigningError, ServiceError):
    """Fulcio, Rekor or the TSA failed, or the OIDC token could not be obtained (exit 3)."""


class BundleVerificationError(SigningError, VerificationError):
    """A bundle does not verify against the artifact and the policy (exit 1)."""


class InvalidBundleError(BundleVerificationError):
    """The input is not a Sigstore bundle at all: garbage, truncated, wrong media type,
    oversized (exit 1: a bundle that cannot be read does not verify)."""
