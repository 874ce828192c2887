"""The audit boundary's errors: one base, each concrete error mixing in its kind.

Errors of the layers audit builds on keep their own bases: a malformed policy is a
:class:`chainkit.findings.PolicyError`, unreadable dependency inputs a
:class:`chainkit.deps.DepsError` (both exit 2).
"""

from __future__ import annotations

from chainkit.errors import Error, ServiceError, UsageError

__all__ = [
    "AdvisoryDatabaseError",
    "AuditError",
    "AuditFailedError",
    "InputError",
]


class AuditError(Error):
    """Base of every ``chainkit audit`` failure."""


class InputError(AuditError, UsageError):
    """What to audit was not usable: nothing given, pins pip-audit rejects (exit 2)."""


class AdvisoryDatabaseError(AuditError, UsageError):
    """The ``--advisory-db`` could not be read: corrupt zip, invalid record (exit 2)."""


class AuditFailedError(AuditError, ServiceError):
    """The audit itself failed: service unreachable, resolution failure (exit 3)."""
