"""``sbom generate --with-vulnerabilities``: the audit engine's offline database, advisories as
CycloneDX vulnerabilities linked to the components, and ``sbom diff`` over them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from integration.sbom.conftest import ASSETS, RunSbom, reference_errors

PYLOCK = ASSETS / "httpx-pylock" / "pylock.toml"


def _record(rid: str, package: str, fixed: str) -> dict[str, Any]:
    return {
        "id": rid,
        "modified": "2024-01-01T00:00:00Z",
        "summary": f"{package} advisory",
        "aliases": ["CVE-2099-0001"],
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [
            {
                "package": {"name": package, "ecosystem": "PyPI"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
    }


def _db(path: Path, *records: dict[str, Any]) -> Path:
    path.mkdir()
    for r in records:
        (path / f"{r['id']}.json").write_text(json.dumps(r))
    return path


def test_advisories_become_vulnerabilities_linked_to_their_components(
    sbom_cli: RunSbom, tmp_path: Path
) -> None:
    db = _db(tmp_path / "osv", _record("PYSEC-0000-1", "idna", "99.0"))
    run = sbom_cli("generate", "lock", PYLOCK, "--with-vulnerabilities", "--advisory-db", db)
    assert run.code == 0, run.err
    doc = run.json()
    assert reference_errors(run.out, "1.6") == []
    refs = {c["bom-ref"] for c in doc["components"]}
    [vuln] = doc["vulnerabilities"]
    assert vuln["id"] == "PYSEC-0000-1"
    assert vuln["affects"] == [{"ref": "pkg:pypi/idna@3.10"}]
    assert vuln["affects"][0]["ref"] in refs
    assert vuln["ratings"][0]["severity"] == "critical"
    assert vuln["recommendation"] == "Upgrade idna to 99.0."


def test_diff_lists_vulnerabilities_introduced_and_fixed_between_releases(
    sbom_cli: RunSbom, tmp_path: Path
) -> None:
    old_db = _db(tmp_path / "old", _record("PYSEC-0000-1", "idna", "99.0"))
    new_db = _db(tmp_path / "new", _record("PYSEC-0000-2", "certifi", "9999.0"))
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    for out, db in ((old, old_db), (new, new_db)):
        args = ("generate", "lock", PYLOCK, "--with-vulnerabilities", "--advisory-db", db)
        assert sbom_cli(*args, "-o", out).code == 0
    run = sbom_cli("diff", old, new, "--with-vulnerabilities", "--format", "json")
    assert run.json()["vulnerabilities"] == {
        "introduced": ["PYSEC-0000-2"],
        "fixed": ["PYSEC-0000-1"],
    }
