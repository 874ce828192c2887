"""The findings model: rules, findings, locations and the report that holds them.

Every chainkit command that reports problems (``audit`` now; ``scan code``, ``scan secrets``
and ``sbom check`` next) produces the same frozen objects, so one policy and one set of
writers (SARIF, Markdown, JSON, table) serve them all.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "Finding",
    "Location",
    "PackageRef",
    "Region",
    "Report",
    "Rule",
    "Severity",
    "Suppression",
    "Tool",
    "fingerprint",
]


class Severity(enum.IntEnum):
    """Qualitative severity, ordered. A finding whose severity is not known has ``None``."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Severity:
        """``low``/``medium``/``moderate``/``high``/``critical``, any case; ``KeyError`` else."""
        text = value.strip().upper()
        if text == "MODERATE":
            text = "MEDIUM"
        return cls[text]


def severity_label(severity: Severity | None) -> str:
    return severity.label if severity is not None else "unknown"


@dataclass(frozen=True)
class Region:
    """A place in a text file: 1-based lines and columns (end optional)."""

    start_line: int
    start_column: int | None = None
    end_line: int | None = None
    end_column: int | None = None


@dataclass(frozen=True)
class PackageRef:
    """A package coordinate: a distribution name, its version, and its purl when known."""

    name: str
    version: str | None = None
    purl: str | None = None

    @property
    def canonical_name(self) -> str:
        from packaging.utils import canonicalize_name

        return str(canonicalize_name(self.name))

    def display(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name


@dataclass(frozen=True)
class Location:
    """Where a finding is: a file (or artifact) ``path`` with an optional ``region``, a
    ``package`` coordinate, or both (the line of a manifest that declares the package).

    ``path`` is POSIX and relative to the working directory where possible (SARIF consumers
    resolve it against the repository root); an artifact (a wheel, an SBOM) is a path
    without a region.
    """

    path: str | None = None
    region: Region | None = None
    package: PackageRef | None = None

    @classmethod
    def file(cls, path: str, line: int | None = None, column: int | None = None) -> Location:
        return cls(path, None if line is None else Region(max(line, 1), column))

    def display(self) -> str:
        """``path:line[:column]``, or the package coordinate when there is no path."""
        if self.path is None:
            return self.package.display() if self.package is not None else ""
        if self.region is None:
            return self.path
        col = f":{self.region.start_column}" if self.region.start_column is not None else ""
        return f"{self.path}:{self.region.start_line}{col}"


@dataclass(frozen=True)
class Rule:
    """What a finding violates: an advisory, a bandit test, a gitleaks rule, an NTIA element.

    ``aliases`` are other ids of the same rule (an advisory's CVE/GHSA/PYSEC names); policy
    ignores match the id or any alias. ``score`` is a CVSS-like 0-10 score when the rule has
    one (SARIF ``security-severity``).
    """

    id: str
    name: str
    tool: str
    short_description: str
    help_text: str = ""
    help_uri: str | None = None
    default_severity: Severity | None = None
    score: float | None = None
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def ids(self) -> frozenset[str]:
        return frozenset((self.id, *self.aliases))


@dataclass(frozen=True)
class Suppression:
    """Why a finding does not count: the policy ignore that matched it."""

    reason: str
    ignore_id: str
    package: str | None = None
    expires: str | None = None  # ISO date

    def describe(self) -> str:
        scope = f" for {self.package}" if self.package else ""
        until = f" until {self.expires}" if self.expires else ""
        return f"{self.ignore_id}{scope}{until}: {self.reason}"


@dataclass(frozen=True)
class Finding:
    """One problem, as a tool reported it, with the policy's verdict once applied.

    ``fingerprint`` identifies the finding across runs (see :func:`fingerprint`); it is
    never computed from a secret value. ``severity`` ``None`` means unknown (the policy's
    ``unknown-severity`` decides). ``blocking`` and ``suppression`` are set by
    :meth:`chainkit.findings.Policy.apply`. ``properties`` are tool-specific extras,
    copied into SARIF result properties and the JSON output.
    """

    rule: Rule
    message: str
    fingerprint: str
    severity: Severity | None = None
    locations: tuple[Location, ...] = ()
    fix: str | None = None
    score: float | None = None
    suppression: Suppression | None = None
    blocking: bool = False
    properties: Mapping[str, object] = field(default_factory=dict, hash=False, compare=False)

    @property
    def package(self) -> PackageRef | None:
        """The package coordinate of the first location that has one."""
        return next((loc.package for loc in self.locations if loc.package is not None), None)

    @property
    def severity_label(self) -> str:
        return severity_label(self.severity)


@dataclass(frozen=True)
class Tool:
    """The tool of one run: SARIF ``tool.driver`` and the fingerprint's name.

    ``fingerprint_key`` names the fingerprint scheme in SARIF ``partialFingerprints``
    (``chainkitAudit/v1``); change its version when the fingerprint's inputs change.
    """

    name: str
    version: str
    information_uri: str
    fingerprint_key: str
    automation_id: str | None = None


@dataclass(frozen=True)
class Report:
    """One tool's run: its findings (with verdicts) and what the policy did.

    ``expired_ignores`` are ignores past their expiry that would have matched; they are
    listed so their owners renew or remove them. ``properties`` are run-level extras
    (SARIF ``run.properties``).
    """

    tool: Tool
    findings: tuple[Finding, ...]
    fail_on: str = "any"
    expired_ignores: tuple[Suppression, ...] = ()
    unused_ignores: tuple[Suppression, ...] = ()
    properties: Mapping[str, object] = field(default_factory=dict, hash=False, compare=False)

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The rules of the findings, each once, in order of first appearance."""
        seen: dict[str, Rule] = {}
        for f in self.findings:
            seen.setdefault(f.rule.id, f.rule)
        return tuple(seen.values())

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocking)

    @property
    def suppressed(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.suppression is not None)

    def verdict(self) -> str:
        n = len(self.blocking)
        if n:
            return f"{n} finding{'s' if n != 1 else ''} at or above fail-on={self.fail_on}"
        return f"nothing at or above fail-on={self.fail_on}"


_FINGERPRINT_SEPARATOR = "\0"


def fingerprint(*parts: str) -> str:
    """A stable fingerprint: the hex SHA-256 of ``parts`` joined by NUL.

    The parts are identifiers that survive unrelated edits (a package's canonical name,
    version and advisory id; a rule id and a path), never a secret value or a raw input
    line: the digest ends up in SARIF files anyone with read access sees, and a secret's
    hash can be brute-forced. Scanners pass what identifies the place, not the match.
    """
    if any(_FINGERPRINT_SEPARATOR in p for p in parts):
        raise ValueError("fingerprint parts must not contain NUL")
    return hashlib.sha256(_FINGERPRINT_SEPARATOR.join(parts).encode("utf-8")).hexdigest()
