"""SARIF 2.1.0, the one SARIF writer of chainkit: one run per tool.

Rules carry their metadata (short and full description, help text and URI, tags, aliases)
and ``security-severity`` (the CVSS-like score, or a score standing for the severity), which
GitHub code scanning uses to rank alerts. Each result names its rule by id and index, its
level (``error`` when it fails the policy, ``warning`` below the threshold, ``note`` with an
accepted external suppression when a policy ignore matched), its locations, and a
``partialFingerprints`` entry named by :attr:`Tool.fingerprint_key`.

File locations become ``physicalLocation`` (URI relative to the working directory, or a
``file:`` URI for an absolute path); a location that only names a package becomes a
``logicalLocation`` with the package's purl (or name and version).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from chainkit._internal import jsontext, markdown
from chainkit.findings._model import Finding, Location, Report, Rule, Severity

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "render_sarif", "sarif_dict"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
# GitHub's ranges for security-severity: > 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, < 4 low.
_SEVERITY_SCORE = {
    Severity.LOW: "2.0",
    Severity.MEDIUM: "5.5",
    Severity.HIGH: "8.0",
    Severity.CRITICAL: "9.5",
}


def _uri(path: str) -> str:
    """``path`` as a URI reference: a ``file:`` URI when absolute, else percent-encoded and
    relative. A name that is not UTF-8 (lone surrogates from ``surrogateescape``) keeps its
    original bytes as percent-escapes."""
    posix = PurePosixPath(path)
    if posix.is_absolute():
        return posix.as_uri()  # encodes with os.fsencode (surrogateescape)
    windows = PureWindowsPath(path)
    if windows.is_absolute():
        drive_or_host = windows.drive
        rest = windows.as_posix()[len(drive_or_host) :]
        if drive_or_host.startswith("\\\\"):  # UNC: file://host/share/...
            return "file:" + _quoted(windows.as_posix())
        return "file:///" + drive_or_host + _quoted(rest)
    return _quoted(path)


def _quoted(path: str) -> str:
    return quote(path.encode("utf-8", "surrogateescape"), safe="/")


def _rule(rule: Rule) -> dict[str, Any]:
    # SARIF tags are a set (uniqueItems): a tool's own tags may repeat chainkit's ("secret")
    props: dict[str, Any] = {"tags": list(dict.fromkeys(rule.tags))}
    if rule.score is not None:
        props["security-severity"] = f"{rule.score:.1f}"
    elif rule.default_severity is not None:
        props["security-severity"] = _SEVERITY_SCORE[rule.default_severity]
    if rule.aliases:
        props["aliases"] = list(rule.aliases)
    full = rule.help_text or rule.short_description or rule.id
    out: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.short_description or rule.id},
        "fullDescription": {"text": full},
    }
    if rule.help_uri is not None:
        out["helpUri"] = rule.help_uri
        out["help"] = {
            "text": f"{full}\n\nSee {rule.help_uri}",
            "markdown": f"{markdown.escape(full)}\n\nSee {markdown.link(rule.id, rule.help_uri)}.",
        }
    else:
        out["help"] = {"text": full, "markdown": markdown.escape(full)}
    out["properties"] = props
    return out


def _location(loc: Location) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if loc.path is not None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(loc.path)}}
        if loc.region is not None:
            region: dict[str, Any] = {"startLine": max(loc.region.start_line, 1)}
            if loc.region.start_column is not None:
                region["startColumn"] = max(loc.region.start_column, 1)
            if loc.region.end_line is not None:
                region["endLine"] = max(loc.region.end_line, region["startLine"])
            if loc.region.end_column is not None:
                region["endColumn"] = max(loc.region.end_column, 1)
            physical["region"] = region
        out["physicalLocation"] = physical
    elif loc.package is not None:
        pkg = loc.package
        out["logicalLocations"] = [
            {"name": pkg.name, "fullyQualifiedName": pkg.purl or pkg.display(), "kind": "package"}
        ]
    return out


def _level(f: Finding) -> str:
    if f.blocking:
        return "error"
    return "note" if f.suppression is not None else "warning"


def _result(f: Finding, rule_index: int, fingerprint_key: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule.id,
        "ruleIndex": rule_index,
        "level": _level(f),
        "message": {"text": f.message},
        "locations": [loc for loc in map(_location, f.locations) if loc],
        "partialFingerprints": {fingerprint_key: f.fingerprint},
    }
    if f.properties:
        result["properties"] = dict(f.properties)
    if f.suppression is not None:
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": f.suppression.describe()}
        ]
    return result


def _run(report: Report) -> dict[str, Any]:
    rules = report.rules
    index = {r.id: i for i, r in enumerate(rules)}
    key = report.tool.fingerprint_key
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": report.tool.name,
                "version": report.tool.version,
                "informationUri": report.tool.information_uri,
                "rules": [_rule(r) for r in rules],
            }
        },
    }
    if report.tool.automation_id is not None:
        run["automationDetails"] = {"id": report.tool.automation_id}
    run["results"] = [_result(f, index[f.rule.id], key) for f in report.findings]
    if report.properties:
        run["properties"] = dict(report.properties)
    return run


def sarif_dict(reports: Report | Sequence[Report]) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run per report (one report per tool)."""
    runs = [reports] if isinstance(reports, Report) else list(reports)
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [_run(r) for r in runs]}


def render_sarif(reports: Report | Sequence[Report]) -> str:
    return jsontext.dumps(sarif_dict(reports), indent=2) + "\n"
