"""Markdown for pull requests and ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

from chainkit.audit._formats._common import fix_text, status, summary_line, verdict
from chainkit.audit._model import AuditReport

__all__ = ["render"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(report: AuditReport) -> str:
    icon = ":x:" if report.blocking else ":white_check_mark:"
    out = [
        "## chainkit audit",
        "",
        f"{icon} **{verdict(report)}** — {summary_line(report)}.",
        "",
        f"Advisories: {_cell(report.service)}.",
    ]
    for i in report.inputs:
        out.append(f"- `{_cell(i.label)}` ({i.kind}): {i.mode}")
    if report.findings:
        out += [
            "",
            "| Package | Version | Advisory | Severity | Fixed in | Status |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for f in report.findings:
            sev = f.advisory.severity
            score = f" ({sev.score})" if sev.score is not None else ""
            out.append(
                f"| {_cell(f.package.name)} | {_cell(f.package.version)} "
                f"| [{f.advisory.id}]({f.advisory.url}) | {sev.label}{score} "
                f"| {_cell(fix_text(f))} | {status(f, report)} |"
            )
    if report.ignored:
        out += ["", "<details><summary>Ignored by policy</summary>", ""]
        out += [
            f"- **{f.advisory.id}** ({_cell(f.package.name)}): {_cell(f.ignored_by.describe())}"
            for f in report.ignored
            if f.ignored_by is not None
        ]
        out += ["", "</details>"]
    if report.expired_ignores:
        out += ["", "Expired ignores (no longer applied):"]
        out += [f"- {_cell(i.describe())}" for i in report.expired_ignores]
    if report.skipped:
        out += ["", "<details><summary>Skipped (not audited)</summary>", ""]
        out += [
            f"- `{_cell(s.name)}`: {_cell(s.reason)} ({_cell(s.source)})" for s in report.skipped
        ]
        out += ["", "</details>"]
    return "\n".join(out) + "\n"
