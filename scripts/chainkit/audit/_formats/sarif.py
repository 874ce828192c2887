"""SARIF 2.1.0 for GitHub code scanning: one rule per advisory, one result per finding.

Each result points at the line declaring the package in its manifest (requirements file,
lock file, pyproject.toml), so code scanning annotates that line. Findings the policy
ignores carry an accepted external suppression with the reason; findings below the
threshold are ``warning``, failing ones ``error``. Rules carry ``security-severity`` (the
CVSS base score) when the advisory has one, which GitHub uses to rank alerts.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from chainkit import __version__
from chainkit.audit._formats._common import fix_text
from chainkit.audit._model import AuditReport, Finding, Location
from chainkit.audit._severity import Level

__all__ = ["SARIF_SCHEMA", "render", "to_dict"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_INFORMATION_URI = "https://github.com/chainkit/chainkit/blob/main/docs/audit.md"
# GitHub's ranges for security-severity: > 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, < 4 low.
_LEVEL_SCORE = {Level.LOW: "2.0", Level.MEDIUM: "5.5", Level.HIGH: "8.0", Level.CRITICAL: "9.5"}


def _uri(path: str) -> str:
    p = Path(path)
    if p.is_absolute():
        return p.as_uri()
    return quote(path, safe="/")


def _rule(f: Finding) -> dict[str, Any]:
    adv = f.advisory
    props: dict[str, Any] = {"tags": ["security", "vulnerability", "dependency"]}
    sev = adv.severity
    if sev.score is not None:
        props["security-severity"] = f"{sev.score:.1f}"
    elif sev.level is not None:
        props["security-severity"] = _LEVEL_SCORE[sev.level]
    if adv.aliases:
        props["aliases"] = list(adv.aliases)
    summary = adv.summary if len(adv.summary) <= 200 else adv.summary[:197] + "..."
    return {
        "id": adv.id,
        "name": "VulnerableDependency",
        "shortDescription": {"text": f"{adv.id}: {summary}"},
        "fullDescription": {"text": adv.summary or adv.id},
        "helpUri": adv.url,
        "help": {
            "text": f"{adv.summary}\n\nSee {adv.url}",
            "markdown": f"{adv.summary}\n\nSee [{adv.id}]({adv.url}).",
        },
        "properties": props,
    }


def _location(loc: Location) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": _uri(loc.path)},
            "region": {"startLine": max(loc.line, 1)},
        }
    }


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    adv = f.advisory
    aliases = f" ({', '.join(adv.aliases)})" if adv.aliases else ""
    fixed = f"Upgrade to {fix_text(f)}." if adv.fix_versions else "No fixed version is listed."
    message = (
        f"{f.package.name} {f.package.version} is affected by {adv.id}{aliases}, "
        f"severity {adv.severity.label}: {adv.summary} {fixed}"
    )
    fingerprint = hashlib.sha256(
        f"{f.package.canonical_name}\0{f.package.version}\0{adv.id}".encode()
    ).hexdigest()
    result: dict[str, Any] = {
        "ruleId": adv.id,
        "ruleIndex": rule_index,
        "level": "error" if f.blocking else ("note" if f.ignored_by else "warning"),
        "message": {"text": message},
        "locations": [_location(loc) for loc in f.package.locations],
        "partialFingerprints": {"chainkitAudit/v1": fingerprint},
        "properties": {
            "package": f.package.name,
            "version": f.package.version,
            "fixVersions": list(adv.fix_versions),
            "severity": adv.severity.label,
        },
    }
    if f.ignored_by is not None:
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": f.ignored_by.describe()}
        ]
    return result


def to_dict(report: AuditReport) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for f in report.findings:
        if f.advisory.id not in index:
            index[f.advisory.id] = len(rules)
            rules.append(_rule(f))
        results.append(_result(f, index[f.advisory.id]))
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "chainkit-audit",
                        "version": __version__,
                        "informationUri": _INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": "chainkit-audit/"},
                "results": results,
                "properties": {
                    "service": report.service,
                    "packages": len(report.packages),
                    "skipped": [f"{s.name}: {s.reason}" for s in report.skipped],
                },
            }
        ],
    }


def render(report: AuditReport) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"
