"""The audit boundary's errors: one base, each concrete error mixing in its kind."""

from __future__ import annotations

from chainkit.errors import Error, ServiceError, UsageError

__all__ = [
    "AdvisoryDatabaseError",
    "AuditError",
    "AuditFailedError",
    "InputError",
    "PolicyError",
]


class AuditError(Error):
    """Base of every ``chainkit audit`` failure."""


class InputError(AuditError, UsageError):
    """What to audit could not be read: a missing requirements file, a broken lock file (exit 2)."""


class PolicyError(AuditError, UsageError):
    """The audit policy is malformed (exit 2)."""


class AdvisoryDatabaseError(AuditError, UsageError):
    """The ``--advisory-db`` could not be read: corrupt zip, invalid record (exit 2)."""


class AuditFailedError(AuditError, ServiceError):
    """The audit itself failed: service unreachable, resolution failure (exit 3)."""
