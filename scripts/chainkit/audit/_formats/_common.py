"""Small helpers shared by the formats."""

from __future__ import annotations

from chainkit.audit._model import AuditReport, Finding

__all__ = ["fix_text", "status", "summary_line", "verdict"]


def fix_text(finding: Finding) -> str:
    fixes = finding.advisory.fix_versions
    return ", ".join(fixes) if fixes else "no fix listed"


def status(finding: Finding, report: AuditReport) -> str:
    if finding.ignored_by is not None:
        return "ignored"
    if finding.blocking:
        return "FAIL"
    return f"below {report.policy.fail_on.value}"


def verdict(report: AuditReport) -> str:
    n = len(report.blocking)
    if n:
        return (
            f"{n} finding{'s' if n != 1 else ''} at or above fail-on={report.policy.fail_on.value}"
        )
    return f"nothing at or above fail-on={report.policy.fail_on.value}"


def summary_line(report: AuditReport) -> str:
    return (
        f"{len(report.packages)} packages audited, {len(report.findings)} findings "
        f"({len(report.blocking)} failing, {len(report.ignored)} ignored), "
        f"{len(report.skipped)} skipped"
    )
