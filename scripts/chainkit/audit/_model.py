"""The audit's results, as plain frozen dataclasses.

The audit-specific formats (JSON, CycloneDX) render these; SARIF, Markdown and the table
render the same results converted to :mod:`chainkit.findings` (see ``_findings.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from packaging.utils import canonicalize_name

from chainkit.audit._severity import Rating
from chainkit.deps import Declared as Location
from chainkit.errors import ExitCode
from chainkit.findings import Ignore, Policy, Suppression

__all__ = [
    "Advisory",
    "AuditFinding",
    "AuditReport",
    "InputSummary",
    "Location",
    "Package",
    "Skipped",
]


@dataclass(frozen=True)
class Package:
    """An audited distribution at one version."""

    name: str
    version: str
    locations: tuple[Location, ...] = ()

    @property
    def canonical_name(self) -> str:
        return canonicalize_name(self.name)


@dataclass(frozen=True)
class Skipped:
    """Something that was not audited, and why."""

    name: str
    reason: str
    source: str


@dataclass(frozen=True)
class Advisory:
    """One advisory as it applies to one package."""

    id: str
    aliases: tuple[str, ...]
    summary: str
    fix_versions: tuple[str, ...]
    rating: Rating
    published: str | None = None

    @property
    def ids(self) -> frozenset[str]:
        return frozenset((self.id, *self.aliases))

    @property
    def url(self) -> str:
        return f"https://osv.dev/vulnerability/{quote(self.id, safe='')}"


@dataclass(frozen=True)
class AuditFinding:
    """An advisory affecting an audited package, with the policy's verdict."""

    package: Package
    advisory: Advisory
    ignored_by: Suppression | None
    blocking: bool


@dataclass(frozen=True)
class InputSummary:
    """One input and how it was audited."""

    label: str
    kind: str
    mode: str


@dataclass(frozen=True)
class AuditReport:
    """Everything an output format needs."""

    inputs: tuple[InputSummary, ...]
    service: str
    packages: tuple[Package, ...]
    skipped: tuple[Skipped, ...]
    findings: tuple[AuditFinding, ...]
    policy: Policy
    expired_ignores: tuple[Ignore, ...] = ()
    unused_ignores: tuple[Ignore, ...] = field(default=())

    @property
    def blocking(self) -> tuple[AuditFinding, ...]:
        return tuple(f for f in self.findings if f.blocking)

    @property
    def ignored(self) -> tuple[AuditFinding, ...]:
        return tuple(f for f in self.findings if f.ignored_by is not None)

    @property
    def exit_code(self) -> ExitCode:
        """1 for blocking findings; 3 when everything was skipped (nothing was audited,
        so "clean" would be a guess); 0 otherwise."""
        if self.blocking:
            return ExitCode.FINDINGS
        if self.skipped and not self.packages:
            return ExitCode.FAILURE
        return ExitCode.OK
