"""One findings model for every chainkit tool that reports problems.

``chainkit audit`` produces these objects now; ``scan code`` (bandit), ``scan secrets``
(gitleaks) and ``sbom check`` (NTIA, licences) will produce the same, so the policy, the
exit code and every output format are written once::

    rule = Rule("B105", "hardcoded_password_string", "bandit", "Possible hardcoded password")
    found = Finding(rule, "...", fingerprint("B105", "app/settings.py", "12"), Severity.LOW,
                    (Location.file("app/settings.py", 12),))
    applied = load_policy(None, project_dir=Path("."), section="scan").apply([found], today=...)
    report = Report(Tool("chainkit-scan", __version__, DOCS, "chainkitScan/v1"), applied.findings)
    print(format(report, "sarif"))

Public API (everything else is internal):

- model: :class:`Severity`, :class:`Rule`, :class:`Location` (+ :class:`Region`,
  :class:`PackageRef`), :class:`Finding`, :class:`Suppression`, :class:`Tool`,
  :class:`Report`, :func:`fingerprint`;
- policy: :class:`Policy`, :class:`FailOn`, :class:`Ignore`, :class:`Applied`,
  :func:`load_policy`, :func:`parse_policy`;
- writers: :func:`format` (``sarif``, ``json``, ``markdown``, ``table``);
  :func:`render_markdown` and :func:`render_table` with a tool's own sections before and
  after the findings; :func:`sarif_dict` for several tools' runs in one SARIF log;
- errors: :class:`FindingsError`, :class:`PolicyError` (exit 2).

Nothing here imports pip-audit, bandit or gitleaks.
"""

from __future__ import annotations

from chainkit.findings._errors import FindingsError, PolicyError
from chainkit.findings._model import (
    Finding,
    Location,
    PackageRef,
    Region,
    Report,
    Rule,
    Severity,
    Suppression,
    Tool,
    fingerprint,
)
from chainkit.findings._policy import Applied, FailOn, Ignore, Policy, load_policy, parse_policy
from chainkit.findings._sarif import render_sarif, sarif_dict
from chainkit.findings._text import render_json, render_markdown, render_table

__all__ = [
    "FORMATS",
    "Applied",
    "FailOn",
    "Finding",
    "FindingsError",
    "Ignore",
    "Location",
    "PackageRef",
    "Policy",
    "PolicyError",
    "Region",
    "Report",
    "Rule",
    "Severity",
    "Suppression",
    "Tool",
    "fingerprint",
    "format",
    "load_policy",
    "parse_policy",
    "render_markdown",
    "render_table",
    "sarif_dict",
]

FORMATS = ("sarif", "json", "markdown", "table")


def format(report: Report, fmt: str, *, title: str | None = None) -> str:
    """``report`` as ``fmt``, one of :data:`FORMATS`; ``title`` heads the Markdown summary.

    Tools that add their own sections (audit: inputs, skipped packages) call
    :func:`render_markdown` / :func:`render_table` directly.
    """
    if fmt == "sarif":
        return render_sarif(report)
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report, title=title or report.tool.name)
    if fmt == "table":
        return render_table(report)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
