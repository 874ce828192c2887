"""Markdown, JSON and plain-table writers for a :class:`Report`.

Markdown goes through :mod:`chainkit._internal.markdown` (every value from a tool, a
manifest or an advisory is escaped there); the plain table replaces control characters so
a value cannot move the cursor or forge a line in a terminal or a log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chainkit._internal import jsontext, markdown
from chainkit._internal.output import printable
from chainkit.findings._model import Finding, Location, Report, Suppression

__all__ = ["json_dict", "render_json", "render_markdown", "render_table", "status"]

FORMAT_VERSION = 1


def status(f: Finding, report: Report) -> str:
    """``FAIL``, ``ignored``, or ``below <fail-on>``."""
    if f.suppression is not None:
        return "ignored"
    return "FAIL" if f.blocking else f"below {report.fail_on}"


def _where(f: Finding) -> str:
    if f.package is not None:
        return f.package.display()
    return ", ".join(loc.display() for loc in f.locations)


def _score(f: Finding) -> str:
    return "" if f.score is None else f"{f.score}"


def summary(report: Report) -> str:
    n = len(report.findings)
    return (
        f"{n} finding{'s' if n != 1 else ''} ({len(report.blocking)} failing, "
        f"{len(report.suppressed)} ignored)"
    )


# --- Markdown --------------------------------------------------------------------------------


def render_markdown(
    report: Report,
    *,
    title: str,
    summary_text: str | None = None,
    preamble: Sequence[str] = (),
    appendix: Sequence[str] = (),
) -> str:
    """A summary for pull requests and ``$GITHUB_STEP_SUMMARY``.

    ``preamble`` and ``appendix`` are Markdown lines the caller built (with
    :func:`chainkit._internal.markdown.escape` for any value it did not write itself).
    """
    icon = ":x:" if report.blocking else ":white_check_mark:"
    out = [
        f"## {markdown.escape(title)}",
        "",
        f"{icon} **{markdown.escape(report.verdict())}** — "
        f"{markdown.escape(summary_text or summary(report))}.",
    ]
    if preamble:
        out += ["", *preamble]
    if report.findings:
        rows = [
            (f.rule.id, f.severity_label, _score(f), _where(f), f.fix or "", status(f, report))
            for f in report.findings
        ]
        headers = ("Rule", "Severity", "Score", "Where", "Fix", "Status")
        out += ["", markdown.table(headers, rows)]
    if report.suppressed:
        out += ["", "<details><summary>Ignored by policy</summary>", ""]
        out += [
            f"- **{markdown.escape(f.rule.id)}** ({markdown.escape(_where(f))}): "
            f"{markdown.escape(f.suppression.describe())}"
            for f in report.suppressed
            if f.suppression is not None
        ]
        out += ["", "</details>"]
    if report.expired_ignores:
        out += ["", "Expired ignores (no longer applied):", ""]
        out += [f"- {markdown.escape(s.describe())}" for s in report.expired_ignores]
    rules = [r for r in report.rules if r.help_uri]
    if rules:
        out += ["", "<details><summary>Rules</summary>", ""]
        out += [f"- {markdown.escape(r.id)}: {markdown.escape(r.help_uri)}" for r in rules]
        out += ["", "</details>"]
    if appendix:
        out += ["", *appendix]
    return "\n".join(out) + "\n"


# --- JSON ------------------------------------------------------------------------------------


def _suppression(s: Suppression | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"id": s.ignore_id, "package": s.package, "reason": s.reason, "expires": s.expires}


def _location(loc: Location) -> dict[str, Any]:
    out: dict[str, Any] = {"path": loc.path}
    if loc.region is not None:
        out["line"] = loc.region.start_line
        out["column"] = loc.region.start_column
    if loc.package is not None:
        out["package"] = {
            "name": loc.package.name,
            "version": loc.package.version,
            "purl": loc.package.purl,
        }
    return out


def json_dict(report: Report) -> dict[str, Any]:
    """The report as plain JSON data (``format_version`` 1)."""
    return {
        "format_version": FORMAT_VERSION,
        "tool": {"name": report.tool.name, "version": report.tool.version},
        "fail_on": report.fail_on,
        "summary": {
            "findings": len(report.findings),
            "blocking": len(report.blocking),
            "ignored": len(report.suppressed),
        },
        "rules": [
            {
                "id": r.id,
                "name": r.name,
                "aliases": list(r.aliases),
                "description": r.short_description,
                "help_uri": r.help_uri,
                "score": r.score,
            }
            for r in report.rules
        ],
        "findings": [
            {
                "rule": f.rule.id,
                "severity": f.severity_label,
                "score": f.score,
                "message": f.message,
                "fix": f.fix,
                "fingerprint": f.fingerprint,
                "blocking": f.blocking,
                "ignored": _suppression(f.suppression),
                "locations": [_location(loc) for loc in f.locations],
                "properties": dict(f.properties),
            }
            for f in report.findings
        ],
        "expired_ignores": [_suppression(s) for s in report.expired_ignores],
        "properties": dict(report.properties),
    }


def render_json(report: Report) -> str:
    return jsontext.dumps(json_dict(report)) + "\n"


# --- plain table -----------------------------------------------------------------------------


def _plain(text: object) -> str:
    """One line of a terminal or log table: tabs as spaces, other control characters
    shown as visible escapes (the one terminal sanitiser, ``output.printable``)."""
    return printable(str(text).replace("\t", " "))


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def fmt(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

    return [fmt(header), "  ".join("-" * w for w in widths), *(fmt(r) for r in rows)]


def render_table(
    report: Report, *, summary_text: str | None = None, appendix: Sequence[str] = ()
) -> str:
    """One row per finding, the ignores, then a summary line; for terminals and logs.

    ``appendix`` lines are printed after the ignores (control characters replaced).
    """
    out: list[str] = []
    if report.findings:
        rows = [
            tuple(
                _plain(c)
                for c in (
                    _where(f),
                    f.rule.id,
                    f.severity_label + (f" {f.score}" if f.score is not None else ""),
                    f.fix or "",
                    status(f, report),
                )
            )
            for f in report.findings
        ]
        out += _table(("Where", "Rule", "Severity", "Fix", "Status"), rows)
    else:
        out.append("No findings.")
    if appendix:
        out += ["", *(_plain(line) for line in appendix)]
    if report.suppressed:
        out += ["", "Ignored by policy:"]
        out += [
            _plain(f"  {_where(f)} {f.rule.id}: {f.suppression.describe()}")
            for f in report.suppressed
            if f.suppression is not None
        ]
    if report.expired_ignores:
        out += ["", "Expired ignores (no longer applied):"]
        out += [_plain(f"  {s.describe()}") for s in report.expired_ignores]
    out += ["", _plain(f"{summary_text or summary(report)}; {report.verdict()}.")]
    return "\n".join(out) + "\n"
