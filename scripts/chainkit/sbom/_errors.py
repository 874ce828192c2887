"""The SBOM boundary's errors: one base, each concrete error mixing in its kind.

Messages name the file and the JSON path or entry, never quote an input's text: SBOMs and lock
files come from places chainkit does not control.
"""

from __future__ import annotations

from chainkit.errors import Error, ServiceError, UsageError

__all__ = ["InvalidSbomError", "SbomError", "SbomInputError", "SbomToolError"]


class SbomError(Error):
    """Base of every ``chainkit sbom`` failure."""


class SbomInputError(SbomError, UsageError):
    """An input could not be used: a missing or broken lock file, a corrupt SBOM (exit 2)."""


class InvalidSbomError(SbomInputError):
    """An SBOM does not conform to the CycloneDX schema of its spec version (exit 2)."""


class SbomToolError(SbomError, ServiceError):
    """A tool chainkit runs failed: the target interpreter, the audit engine (exit 3)."""
