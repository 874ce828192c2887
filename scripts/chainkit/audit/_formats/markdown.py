"""Markdown for pull requests and ``$GITHUB_STEP_SUMMARY``: the findings writer, with the
audit's inputs before the findings and its skipped packages after them."""

from __future__ import annotations

from chainkit._internal.markdown import escape
from chainkit.audit._findings import to_report
from chainkit.audit._formats._common import summary_line
from chainkit.audit._model import AuditReport
from chainkit.findings import render_markdown

__all__ = ["render"]


def render(report: AuditReport) -> str:
    preamble = [f"Advisories: {escape(report.service)}.", ""]
    preamble += [f"- {escape(i.label)} ({escape(i.kind)}): {escape(i.mode)}" for i in report.inputs]
    appendix: list[str] = []
    if report.skipped:
        appendix += ["<details><summary>Skipped (not audited)</summary>", ""]
        appendix += [
            f"- {escape(s.name)}: {escape(s.reason)} ({escape(s.source)})" for s in report.skipped
        ]
        appendix += ["", "</details>"]
    return render_markdown(
        to_report(report),
        title="chainkit audit",
        summary_text=summary_line(report),
        preamble=preamble,
        appendix=appendix,
    )
