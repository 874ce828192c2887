"""A plain-text table for terminals and logs."""

from __future__ import annotations

from collections.abc import Sequence

from chainkit.audit._formats._common import fix_text, status, summary_line, verdict
from chainkit.audit._model import AuditReport

__all__ = ["render"]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)

    def fmt(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

    return [fmt(header), line, *(fmt(r) for r in rows)]


def render(report: AuditReport) -> str:
    out: list[str] = []
    if report.findings:
        rows = [
            (
                f.package.name,
                f.package.version,
                f.advisory.id,
                f.advisory.severity.label
                + (
                    f" {f.advisory.severity.score}" if f.advisory.severity.score is not None else ""
                ),
                fix_text(f),
                status(f, report),
            )
            for f in report.findings
        ]
        out += _table(("Package", "Version", "ID", "Severity", "Fixed in", "Status"), rows)
    else:
        out.append("No known vulnerabilities found.")
    if report.skipped:
        out += ["", "Skipped (not audited):"]
        out += [f"  {s.name}: {s.reason} ({s.source})" for s in report.skipped]
    if report.ignored:
        out += ["", "Ignored by policy:"]
        out += [
            f"  {f.package.name} {f.advisory.id}: {f.ignored_by.describe()}"
            for f in report.ignored
            if f.ignored_by is not None
        ]
    out += ["", f"{summary_line(report)}; {verdict(report)}."]
    return "\n".join(out) + "\n"
