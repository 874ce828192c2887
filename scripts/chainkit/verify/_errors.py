"""Errors of the verify boundary (failed checks are report rows, not errors)."""

from __future__ import annotations

from chainkit.errors import Error, UsageError

__all__ = ["NothingToVerifyError", "VerifyError"]


class VerifyError(Error):
    """Base of the verify boundary's own errors."""


class NothingToVerifyError(VerifyError, UsageError):
    """No release, asset or file was selected: a verification of nothing passes nothing
    (exit 2)."""
