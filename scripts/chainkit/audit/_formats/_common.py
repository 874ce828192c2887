"""Small helpers shared by the formats and the CLI."""

from __future__ import annotations

from chainkit.audit._model import AuditReport

__all__ = ["summary_line", "verdict"]


def verdict(report: AuditReport) -> str:
    """``N findings at or above fail-on=X``, or ``nothing at or above fail-on=X``."""
    from chainkit.audit._findings import to_report

    return to_report(report).verdict()


def summary_line(report: AuditReport) -> str:
    return (
        f"{len(report.packages)} packages audited, {len(report.findings)} findings "
        f"({len(report.blocking)} failing, {len(report.ignored)} ignored), "
        f"{len(report.skipped)} skipped"
    )
