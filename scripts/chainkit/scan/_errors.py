"""The scan boundary's errors: one base, each concrete error mixing in its kind.

Messages never carry a secret value or raw scanner output that could hold one: gitleaks'
stderr is summarised (its exit code and the number of lines), never echoed.
"""

from __future__ import annotations

from chainkit.errors import Error, ServiceError, UsageError

__all__ = ["BaselineError", "ScanError", "ScanInputError", "ToolError", "ToolMissingError"]


class ScanError(Error):
    """Base of every failure of :mod:`chainkit.scan`."""


class ScanInputError(ScanError, UsageError):
    """Bad input (exit 2): a path, an option, a configuration file."""


class BaselineError(ScanInputError):
    """A baseline file is unreadable, malformed or of the other scanner (exit 2)."""


class ToolError(ScanError, ServiceError):
    """bandit or gitleaks failed, timed out or answered something unexpected (exit 3)."""


class ToolMissingError(ToolError):
    """gitleaks is not installed, not executable, or not of the supported major version
    (exit 3: the scan did not run, so "clean" would be a guess)."""
