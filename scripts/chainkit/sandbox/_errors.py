"""Errors of the sandbox boundary."""

from __future__ import annotations

from chainkit.errors import Error, ServiceError, UsageError

__all__ = ["SandboxError", "SandboxServiceError", "SandboxUsageError"]


class SandboxError(Error):
    """Base of every sandbox error."""


class SandboxUsageError(SandboxError, UsageError):
    """Bad sandbox input: a malformed seed, a busy port, a missing state directory (exit 2)."""


class SandboxServiceError(SandboxError, ServiceError):
    """The sandbox could not start, answer or stop (exit 3)."""
