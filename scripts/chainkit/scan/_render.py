"""A scan outcome in every format, through the one set of :mod:`chainkit.findings`
writers; stale baseline entries are listed in each (JSON and SARIF carry them in the run's
``properties.baseline.stale``, Markdown and the table in a section of their own)."""

from __future__ import annotations

from chainkit._internal import markdown
from chainkit.findings import format as render_findings
from chainkit.findings import render_markdown, render_table
from chainkit.scan._service import ScanOutcome

__all__ = ["FORMATS", "render", "summary_line"]

FORMATS = ("table", "json", "sarif", "markdown")


def summary_line(outcome: ScanOutcome) -> str:
    n = len(outcome.report.findings)
    text = f"{n} new finding{'s' if n != 1 else ''}"
    if outcome.baseline is not None:
        text += f", {outcome.accepted} accepted by the baseline, {len(outcome.stale)} stale"
    return text


def _stale_lines(outcome: ScanOutcome) -> list[str]:
    if not outcome.stale:
        return []
    out = [f"Stale baseline entries (no longer found; remove them from {outcome.baseline}):"]
    out += [f"  {e.path} {e.rule} {e.fingerprint[:16]}" for e in outcome.stale]
    return out


def render(outcome: ScanOutcome, fmt: str) -> str:
    """``outcome`` as ``fmt``, one of :data:`FORMATS`."""
    title = f"chainkit scan {outcome.scanner}"
    if fmt == "table":
        return render_table(
            outcome.report,
            summary_text=summary_line(outcome),
            appendix=[*outcome.notes, *_stale_lines(outcome)],
        )
    if fmt == "markdown":
        appendix: list[str] = [f"- {markdown.escape(n)}" for n in outcome.notes]
        if outcome.stale:
            appendix += [
                "",
                f"Stale baseline entries (remove them from {markdown.code(outcome.baseline)}):",
                "",
                markdown.table(
                    ("Path", "Rule", "Fingerprint"),
                    [(e.path, e.rule, e.fingerprint[:16]) for e in outcome.stale],
                ),
            ]
        return render_markdown(
            outcome.report, title=title, summary_text=summary_line(outcome), appendix=appendix
        )
    if fmt in ("json", "sarif"):
        return render_findings(outcome.report, fmt)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
