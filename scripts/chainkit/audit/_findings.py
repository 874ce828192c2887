"""Audit results as :mod:`chainkit.findings`: one rule per advisory, one finding per
(package, advisory), located at the lines that declare the package.

The fingerprint is ``fingerprint(canonical name, version, advisory id)`` under
``chainkitAudit/v1``: the same package, version and advisory keep their code scanning
alert across runs, whatever moves in the manifest.
"""

from __future__ import annotations

from urllib.parse import quote

from chainkit import __version__
from chainkit.audit._model import Advisory, AuditFinding, AuditReport, Package
from chainkit.findings import (
    Finding,
    Location,
    PackageRef,
    Region,
    Report,
    Rule,
    Tool,
    fingerprint,
)

__all__ = ["TOOL", "to_finding", "to_report"]

TOOL = Tool(
    name="chainkit-audit",
    version=__version__,
    information_uri="https://github.com/chainkit/chainkit/blob/main/docs/audit.md",
    fingerprint_key="chainkitAudit/v1",
    automation_id="chainkit-audit/",
)
_TAGS = ("security", "vulnerability", "dependency")


def purl(package: Package) -> str:
    return f"pkg:pypi/{quote(package.canonical_name)}@{quote(package.version)}"


def _rule(adv: Advisory) -> Rule:
    summary = adv.summary if len(adv.summary) <= 200 else adv.summary[:197] + "..."
    return Rule(
        id=adv.id,
        name="VulnerableDependency",
        tool=TOOL.name,
        short_description=f"{adv.id}: {summary}",
        help_text=adv.summary or adv.id,
        help_uri=adv.url,
        default_severity=adv.rating.level,
        score=adv.rating.score,
        aliases=adv.aliases,
        tags=_TAGS,
    )


def _fix_text(adv: Advisory) -> str:
    return ", ".join(adv.fix_versions) if adv.fix_versions else "no fix listed"


def to_finding(package: Package, adv: Advisory) -> Finding:
    """The finding, without a verdict (see :meth:`chainkit.findings.Policy.apply`)."""
    ref = PackageRef(package.name, package.version, purl(package))
    locations = tuple(
        Location(loc.path, Region(max(loc.line, 1)), ref) for loc in package.locations
    ) or (Location(package=ref),)
    aliases = f" ({', '.join(adv.aliases)})" if adv.aliases else ""
    fixed = f"Upgrade to {_fix_text(adv)}." if adv.fix_versions else "No fixed version is listed."
    message = (
        f"{package.name} {package.version} is affected by {adv.id}{aliases}, "
        f"severity {adv.rating.label}: {adv.summary} {fixed}"
    )
    return Finding(
        rule=_rule(adv),
        message=message,
        fingerprint=fingerprint(package.canonical_name, package.version, adv.id),
        severity=adv.rating.level,
        locations=locations,
        fix=", ".join(adv.fix_versions) or None,
        score=adv.rating.score,
        properties={
            "package": package.name,
            "version": package.version,
            "fixVersions": list(adv.fix_versions),
            "severity": adv.rating.label,
        },
    )


def _judged(f: AuditFinding) -> Finding:
    import dataclasses

    return dataclasses.replace(
        to_finding(f.package, f.advisory), suppression=f.ignored_by, blocking=f.blocking
    )


def to_report(report: AuditReport) -> Report:
    """The whole audit as one tool run (SARIF run properties: service, counts, skipped)."""
    return Report(
        tool=TOOL,
        findings=tuple(_judged(f) for f in report.findings),
        fail_on=report.policy.fail_on.value,
        expired_ignores=tuple(i.suppression() for i in report.expired_ignores),
        unused_ignores=tuple(i.suppression() for i in report.unused_ignores),
        properties={
            "service": report.service,
            "packages": len(report.packages),
            "skipped": [f"{s.name}: {s.reason}" for s in report.skipped],
        },
    )
