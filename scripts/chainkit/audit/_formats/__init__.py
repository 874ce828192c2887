"""Output formats for an :class:`~chainkit.audit._model.AuditReport`.

SARIF, Markdown and the table are :mod:`chainkit.findings`' writers over the audit's
findings (``_findings.py``), with the audit's own sections (inputs, skipped packages) added.
JSON (``format_version`` 1) and CycloneDX (VEX) are audit-specific and stay here.
"""

from __future__ import annotations

from chainkit.audit._model import AuditReport

__all__ = ["FORMATS", "render"]

FORMATS = ("table", "json", "sarif", "markdown", "cyclonedx")


def render(report: AuditReport, fmt: str) -> str:
    """The report in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "table":
        from chainkit.audit._formats.table import render as table

        return table(report)
    if fmt == "json":
        from chainkit.audit._formats.json_report import render as json_report

        return json_report(report)
    if fmt == "sarif":
        from chainkit.audit._findings import to_report
        from chainkit.findings import format

        return format(to_report(report), "sarif")
    if fmt == "markdown":
        from chainkit.audit._formats.markdown import render as markdown

        return markdown(report)
    if fmt == "cyclonedx":
        from chainkit.audit._formats.cyclonedx import render as cyclonedx

        return cyclonedx(report)
    raise ValueError(f"unknown format {fmt!r}")
