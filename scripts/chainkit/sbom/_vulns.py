"""``--with-vulnerabilities``: the audit engine (pip-audit with OSV, PyPI or the offline
database, ``chainkit.audit``) run on the same source, its findings as CycloneDX
vulnerabilities linked to the components they affect."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from chainkit.sbom._errors import SbomInputError, SbomToolError
from chainkit.sbom._inventory import (
    EnvironmentSource,
    LockSource,
    ProjectSource,
    RequirementsSource,
    SbomSource,
)

__all__ = ["AuditOptions", "Vuln", "audit_vulnerabilities"]


@dataclass(frozen=True)
class AuditOptions:
    """Where advisories come from (as ``chainkit audit``'s options)."""

    service: str = "osv"  # osv | pypi
    advisory_db: Path | None = None
    osv_url: str | None = None
    cache_dir: Path | None = None
    timeout: int = 15


@dataclass(frozen=True)
class Vuln:
    """One advisory affecting one package version."""

    id: str
    package: str
    """Canonical name."""
    version: str
    aliases: tuple[str, ...]
    summary: str
    fix_versions: tuple[str, ...]
    severity: str  # low | medium | high | critical | unknown
    score: float | None
    vector: str | None
    url: str | None


def audit_vulnerabilities(source: SbomSource, options: AuditOptions) -> tuple[Vuln, ...]:
    from chainkit import audit

    inputs: list[audit.AuditInput]
    if isinstance(source, EnvironmentSource):
        if (
            source.python is not None
            and Path(source.python).resolve() != Path(sys.executable).resolve()
        ):
            raise SbomInputError(
                "--with-vulnerabilities audits only the environment chainkit runs in",
                remediation="run chainkit with that interpreter (PYTHON -m chainkit ...)",
            )
        inputs = [audit.environment_input()]
    elif isinstance(source, RequirementsSource):
        inputs = [audit.requirements_input([source.path])]
    elif isinstance(source, LockSource):
        inputs = [audit.lock_input(source.path)]
    else:
        assert isinstance(source, ProjectSource)
        inputs = audit.project_inputs(source.path, locked=True)
    request = audit.AuditRequest(
        inputs=tuple(inputs),
        service="pypi" if options.service == "pypi" else "osv",
        advisory_db=options.advisory_db,
        osv_url=options.osv_url,
        cache_dir=options.cache_dir or audit.default_cache_dir(),
        timeout=options.timeout,
    )
    report = audit.run_audit(request, audit.Policy())
    if report.packages == () and report.skipped:
        raise SbomToolError(
            "--with-vulnerabilities: the audit checked no package (all were skipped)",
            remediation="run chainkit audit on the same input to see why",
        )
    found: dict[tuple[str, str, str], Vuln] = {}
    for finding in report.findings:
        adv = finding.advisory
        key = (adv.id, str(canonicalize_name(finding.package.name)), finding.package.version)
        found.setdefault(
            key,
            Vuln(
                id=adv.id,
                package=key[1],
                version=key[2],
                aliases=adv.aliases,
                summary=adv.summary,
                fix_versions=adv.fix_versions,
                severity=adv.rating.label,
                score=adv.rating.score,
                vector=adv.rating.vector,
                url=adv.url,
            ),
        )
    return tuple(found[k] for k in sorted(found))
