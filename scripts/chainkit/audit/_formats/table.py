"""A plain-text table for terminals and logs: the findings writer, plus skipped packages."""

from __future__ import annotations

from chainkit.audit._findings import to_report
from chainkit.audit._formats._common import summary_line
from chainkit.audit._model import AuditReport
from chainkit.findings import render_table

__all__ = ["render"]


def render(report: AuditReport) -> str:
    appendix: list[str] = []
    if report.skipped:
        appendix += ["Skipped (not audited):"]
        appendix += [f"  {s.name}: {s.reason} ({s.source})" for s in report.skipped]
    return render_table(to_report(report), summary_text=summary_line(report), appendix=appendix)
