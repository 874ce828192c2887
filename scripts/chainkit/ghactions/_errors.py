"""The errors of the actions adapter."""

from __future__ import annotations

from chainkit.errors import Error, ServiceError, UsageError

__all__ = ["ActionInputError", "ActionToolError", "GhActionsError"]


class GhActionsError(Error):
    """Base of the adapter's errors."""


class ActionInputError(GhActionsError, UsageError):
    """An action input was refused (exit 2)."""


class ActionToolError(GhActionsError, ServiceError):
    """chainkit or gitleaks could not be run or gave an unreadable answer (exit 3)."""
