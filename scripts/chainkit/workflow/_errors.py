"""The workflow runner's errors (one base, kinds from :mod:`chainkit.errors`)."""

from __future__ import annotations

from chainkit.errors import Error, ServiceError, UsageError

__all__ = ["WorkflowError", "WorkflowToolError", "WorkflowUsageError"]


class WorkflowError(Error):
    """Base of every error of the local runner."""


class WorkflowUsageError(WorkflowError, UsageError):
    """A file GitHub would reject, bad inputs, an action the runner refuses (exit 2)."""


class WorkflowToolError(WorkflowError, ServiceError):
    """Node.js or the bridge's packages are missing, or the bridge failed (exit 3)."""
