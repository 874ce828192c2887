"""The findings boundary's errors: one base, each concrete error mixing in its kind."""

from __future__ import annotations

from chainkit.errors import Error, UsageError

__all__ = ["FindingsError", "PolicyError"]


class FindingsError(Error):
    """Base of every failure of :mod:`chainkit.findings`."""


class PolicyError(FindingsError, UsageError):
    """A policy (``[tool.chainkit.<section>]`` or ``--policy FILE``) is malformed (exit 2)."""
