"""The dependency-input boundary's errors: one base, each concrete error mixing in its kind.

Messages name the file and the line or entry, never the raw text of an input line: inputs
come from repositories chainkit does not control, and nothing of them reaches a report or
a log except through the parsed fields.
"""

from __future__ import annotations

from chainkit.errors import Error, UsageError

__all__ = ["DepsError", "InputError"]


class DepsError(Error):
    """Base of every failure of :mod:`chainkit.deps`."""


class InputError(DepsError, UsageError):
    """An input could not be read: a missing file, a broken lock file, an invalid line (exit 2)."""
