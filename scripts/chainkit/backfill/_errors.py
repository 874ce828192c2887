"""Errors of the backfill boundary.

Each concrete error mixes in the *kind* of failure, which decides the exit code:
:class:`BackfillUsageError` (exit 2: bad plans, malformed checksum files, unusable
notes), :class:`BackfillServiceError` (exit 3: PyPI or another service failed) and
:class:`BackfillVerificationError` (exit 1).
"""

from __future__ import annotations

from chainkit.errors import Error, ServiceError, UsageError, VerificationError

__all__ = [
    "AttestationUnconfirmedError",
    "BackfillError",
    "BackfillServiceError",
    "BackfillUsageError",
    "BackfillVerificationError",
    "ChecksumFileError",
    "NotesError",
    "PlanError",
    "PyPIError",
]


class BackfillError(Error):
    """Base of every backfill error."""


class BackfillUsageError(BackfillError, UsageError):
    """The input was wrong (exit 2)."""


class BackfillServiceError(BackfillError, ServiceError):
    """A service the backfill needs failed (exit 3)."""


class BackfillVerificationError(BackfillError, VerificationError):
    """Something failed verification (exit 1)."""


class AttestationUnconfirmedError(BackfillUsageError):
    """Apply cannot tell whether a release's attestation already exists in the attestations
    API (every list of its subjects' digests is cut at 1000), so creates none (exit 2;
    in apply, that release fails and the others go on)."""


class ChecksumFileError(BackfillUsageError):
    """A checksum file on a release is malformed or too large (exit 2)."""


class PlanError(BackfillUsageError):
    """A plan file is malformed, edited by hand, or meant for another repository (exit 2)."""


class NotesError(BackfillUsageError):
    """A release body cannot take the backfill section (exit 2)."""


class PyPIError(BackfillServiceError):
    """The package index could not be reached or gave an unusable answer (exit 3)."""
