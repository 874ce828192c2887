"""CycloneDX 1.5 JSON: the audited packages as components, and their vulnerabilities."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any
from urllib.parse import quote

from chainkit import __version__
from chainkit.audit._findings import purl as _purl
from chainkit.audit._model import AuditFinding, AuditReport

__all__ = ["render", "to_dict"]

_METHODS = {"CVSS_V3": "CVSSv31", "CVSS_V4": "CVSSv4"}


def _alias_source(alias: str) -> dict[str, str]:
    if alias.startswith("CVE-"):
        return {"name": "NVD", "url": f"https://nvd.nist.gov/vuln/detail/{quote(alias, safe='')}"}
    if alias.startswith("GHSA-"):
        return {"name": "GitHub", "url": f"https://github.com/advisories/{quote(alias, safe='')}"}
    return {"name": "OSV", "url": f"https://osv.dev/vulnerability/{quote(alias, safe='')}"}


def _vulnerability(f: AuditFinding) -> dict[str, Any]:
    adv = f.advisory
    sev = adv.rating
    rating: dict[str, Any] = {"severity": sev.label if sev.level is not None else "unknown"}
    if sev.score is not None:
        rating["score"] = sev.score
    if sev.vector is not None:
        rating["vector"] = sev.vector
        if sev.vector.startswith("CVSS:3.0/"):
            rating["method"] = "CVSSv3"
        else:
            rating["method"] = _METHODS.get(sev.source, "other")
    vuln: dict[str, Any] = {
        "bom-ref": f"{adv.id}/{_purl(f.package)}",
        "id": adv.id,
        "source": {"name": "OSV", "url": adv.url},
        "ratings": [rating],
        "description": adv.summary,
        "affects": [{"ref": _purl(f.package)}],
    }
    if adv.aliases:
        vuln["references"] = [{"id": a, "source": _alias_source(a)} for a in adv.aliases]
    if adv.fix_versions:
        vuln["recommendation"] = f"Upgrade {f.package.name} to {', '.join(adv.fix_versions)}."
    if f.ignored_by is not None:
        vuln["analysis"] = {"response": ["will_not_fix"], "detail": f.ignored_by.describe()}
    return vuln


def to_dict(report: AuditReport) -> dict[str, Any]:
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.5.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": uuid.uuid4().urn,
        "version": 1,
        "metadata": {
            "timestamp": now.isoformat().replace("+00:00", "Z"),
            "tools": {
                "components": [{"type": "application", "name": "chainkit", "version": __version__}]
            },
        },
        "components": [
            {
                "type": "library",
                "bom-ref": _purl(p),
                "name": p.name,
                "version": p.version,
                "purl": _purl(p),
            }
            for p in report.packages
        ],
        "vulnerabilities": [_vulnerability(f) for f in report.findings],
    }


def render(report: AuditReport) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"
