"""The one error hierarchy of chainkit.

Every anticipated failure is an :class:`Error` carrying a message and, where a user
can act on it, remediation text. The CLI catches :class:`Error` exactly once
(see :mod:`chainkit.cli`) and turns it into an exit code; anything else is a bug
and shows a traceback with ``-v``.

Each boundary (``sandbox``, ``github``, ``signing``, ``backfill``, ``audit`` ...)
defines one base class deriving from :class:`Error`, and its concrete errors mix in
the *kind* of failure (:class:`UsageError`, :class:`ServiceError`,
:class:`VerificationError`), which decides the exit code.
"""

from __future__ import annotations

import enum
from typing import ClassVar

__all__ = [
    "Error",
    "ExitCode",
    "ServiceError",
    "UsageError",
    "VerificationError",
]


class ExitCode(enum.IntEnum):
    """Documented process exit codes (README, "Conventions")."""

    OK = 0
    """Clean: nothing found, everything verified."""
    FINDINGS = 1
    """Findings reach the policy threshold, or a verification failed."""
    USAGE = 2
    """Bad input: options, files, plans, seeds."""
    FAILURE = 3
    """A tool, network or service failed; the answer is unknown."""


class Error(Exception):
    """Base of every anticipated chainkit failure.

    ``message`` says what went wrong; ``remediation`` says what to do about it.
    Neither may contain a secret: callers pass redacted values only.
    """

    exit_code: ClassVar[ExitCode] = ExitCode.FAILURE

    def __init__(self, message: str, *, remediation: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remediation = remediation

    def render(self) -> str:
        """The message and, on its own line, the remediation."""
        if self.remediation:
            return f"{self.message}\n  hint: {self.remediation}"
        return self.message


class UsageError(Error):
    """The input was wrong (exit 2): options, files, plans, seeds."""

    exit_code = ExitCode.USAGE


class ServiceError(Error):
    """A tool, network or service failed (exit 3)."""

    exit_code = ExitCode.FAILURE


class VerificationError(Error):
    """Something failed verification (exit 1)."""

    exit_code = ExitCode.FINDINGS
