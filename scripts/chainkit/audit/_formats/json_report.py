"""The machine-readable report (``--format json``)."""

from __future__ import annotations

import json
from typing import Any

from chainkit import __version__
from chainkit.audit._model import AuditFinding, AuditReport, Location
from chainkit.findings import Ignore, Suppression

__all__ = ["FORMAT_VERSION", "render", "to_dict"]

FORMAT_VERSION = 1


def _loc(loc: Location) -> dict[str, Any]:
    return {"path": loc.path, "line": loc.line}


def _ignore(ignore: Ignore) -> dict[str, Any]:
    return {
        "id": ignore.id,
        "package": ignore.package,
        "reason": ignore.reason,
        "expires": ignore.expires.isoformat() if ignore.expires else None,
    }


def _suppression(s: Suppression) -> dict[str, Any]:
    return {"id": s.ignore_id, "package": s.package, "reason": s.reason, "expires": s.expires}


def _finding(f: AuditFinding) -> dict[str, Any]:
    sev = f.advisory.rating
    return {
        "package": f.package.name,
        "version": f.package.version,
        "id": f.advisory.id,
        "aliases": list(f.advisory.aliases),
        "summary": f.advisory.summary,
        "fix_versions": list(f.advisory.fix_versions),
        "severity": {
            "level": sev.label,
            "score": sev.score,
            "vector": sev.vector,
            "source": sev.source,
        },
        "url": f.advisory.url,
        "blocking": f.blocking,
        "ignored": _suppression(f.ignored_by) if f.ignored_by else None,
        "locations": [_loc(loc) for loc in f.package.locations],
    }


def to_dict(report: AuditReport) -> dict[str, Any]:
    policy = report.policy
    return {
        "format_version": FORMAT_VERSION,
        "tool": {"name": "chainkit", "version": __version__},
        "service": report.service,
        "inputs": [{"label": i.label, "kind": i.kind, "mode": i.mode} for i in report.inputs],
        "policy": {
            "source": policy.source,
            "fail_on": policy.fail_on.value,
            "unknown_severity": policy.unknown_severity.label
            if policy.unknown_severity
            else "ignore",
            "ignores": [_ignore(i) for i in policy.ignores],
        },
        "summary": {
            "packages": len(report.packages),
            "findings": len(report.findings),
            "blocking": len(report.blocking),
            "ignored": len(report.ignored),
            "skipped": len(report.skipped),
            "exit_code": int(report.exit_code),
        },
        "findings": [_finding(f) for f in report.findings],
        "packages": [
            {"name": p.name, "version": p.version, "locations": [_loc(x) for x in p.locations]}
            for p in report.packages
        ],
        "skipped": [
            {"name": s.name, "reason": s.reason, "source": s.source} for s in report.skipped
        ],
        "expired_ignores": [_ignore(i) for i in report.expired_ignores],
    }


def render(report: AuditReport) -> str:
    # Compact: the C encoder (json only uses it without indent); pipe to jq to read it.
    return json.dumps(to_dict(report), ensure_ascii=False) + "\n"
