"""Small helpers shared by the formats and the CLI."""

from __future__ import annotations

from chainkit.audit._model import AuditReport

__all__ = ["summary_line", "verdict"]


def verdict(report: AuditReport) -> str:
    n = len(report.blocking)
    threshold = report.policy.fail_on.value
    if n:
        return f"{n} finding{'s' if n != 1 else ''} at or above fail-on={threshold}"
    return f"nothing at or above fail-on={threshold}"


def summary_line(report: AuditReport) -> str:
    return (
        f"{len(report.packages)} packages audited, {len(report.findings)} findings "
        f"({len(report.blocking)} failing, {len(report.ignored)} ignored), "
        f"{len(report.skipped)} skipped"
    )
