"""Errors of the attestation boundary."""

from __future__ import annotations

from chainkit.errors import Error, VerificationError

__all__ = ["AttestationError", "StatementFormatError"]


class AttestationError(Error):
    """Base of every attestation error."""


class StatementFormatError(AttestationError, VerificationError):
    """An in-toto statement or its backfill predicate is malformed (exit 1).

    Statements come from bundles on releases: a malformed one is a failed
    verification, never a crash. ``message`` names the place (``subject[2].digest``).
    """
