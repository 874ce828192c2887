from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import requests
from packaging.version import Version

from chainkit.audit import AdvisoryDatabase, AdvisoryDatabaseError, LoopbackOSV, load_database
from chainkit.errors import ExitCode


def record(rid: str, name: str = "Demo_Pkg", **affected: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "modified": "2024-01-01T00:00:00Z",
        "aliases": [f"CVE-{rid}"],
        "affected": [{"package": {"ecosystem": "PyPI", "name": name}, **affected}],
    }


def rng(*events: dict[str, str]) -> list[dict[str, Any]]:
    return [{"type": "ECOSYSTEM", "events": list(events)}]


def db_of(*records: dict[str, Any]) -> AdvisoryDatabase:
    return AdvisoryDatabase.from_records({r["id"]: r for r in records}, source="test", digest="0")


def ids(db: AdvisoryDatabase, name: str, version: str) -> list[str]:
    return sorted(r["id"] for r in db.query(name, version))


def test_worked_set_matches_expected_for_every_pin(dev_db, expected) -> None:
    assert len(expected) == 41
    for pin, want in expected.items():
        name, version = pin.split("==")
        assert ids(dev_db, name, version) == want, pin


def test_ranges_versions_and_names() -> None:
    db = db_of(
        record("A", ranges=rng({"introduced": "0"}, {"fixed": "1.2"})),
        record("B", ranges=rng({"introduced": "2.0"}, {"last_affected": "2.3"})),
        record("C", versions=["3.0rc1", "not-pep-440"]),
        # events out of order still evaluate in version order
        record(
            "D",
            ranges=rng(
                {"fixed": "5.1"}, {"introduced": "5.0"}, {"fixed": "4.1"}, {"introduced": "4.0"}
            ),
        ),
        record("E", name="other", ranges=rng({"introduced": "0"})),
    )
    assert ids(db, "demo-pkg", "1.1") == ["A"]
    assert ids(db, "DEMO.PKG", "1.2rc1") == ["A"]  # pre-release of the fix is affected
    assert ids(db, "demo_pkg", "1.2") == []
    assert ids(db, "demo-pkg", "2.0") == ["B"]
    assert ids(db, "demo-pkg", "2.3") == ["B"]
    assert ids(db, "demo-pkg", "2.3.post1") == []
    assert ids(db, "demo-pkg", "3.0rc1") == ["C"]
    assert ids(db, "demo-pkg", "3.0.0rc1") == ["C"]  # PEP 440 equality
    assert ids(db, "demo-pkg", "not-pep-440") == ["C"]
    assert ids(db, "demo-pkg", "4.0.5") == ["D"]
    assert ids(db, "demo-pkg", "4.5") == []
    assert ids(db, "demo-pkg", "5.0") == ["D"]
    assert ids(db, "unknown", "1.0") == []
    assert db.fix_versions("D", "Demo-Pkg") == ["4.1", "5.1"]


def test_withdrawn_and_git_ranges_affect_nothing() -> None:
    withdrawn = record("W", ranges=rng({"introduced": "0"}))
    withdrawn["withdrawn"] = "2024-02-02T00:00:00Z"
    git = record("G", ranges=[{"type": "GIT", "repo": "x", "events": [{"introduced": "0"}]}])
    db = db_of(withdrawn, git)
    assert ids(db, "demo-pkg", "1.0") == []
    assert db.get("W") is withdrawn  # still retrievable by id
    assert db.get("CVE-W") is withdrawn  # and by alias


def write_records(directory: Path, records: list[dict[str, Any]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for r in records:
        (directory / f"{r['id']}.json").write_text(json.dumps(r))


def test_directory_yaml_and_zip_load_alike(tmp_path: Path) -> None:
    recs = [record("PYSEC-1", ranges=rng({"introduced": "0"}, {"fixed": "2.0"}))]
    write_records(tmp_path / "json", recs)
    nested = tmp_path / "yaml" / "vulns" / "demo-pkg"
    nested.mkdir(parents=True)
    (nested / "PYSEC-1.yaml").write_text(
        "id: PYSEC-1\nmodified: 2024-01-01T00:00:00Z\npublished: 2023-05-01T10:00:00Z\n"
        "affected:\n- package: {ecosystem: PyPI, name: demo-pkg}\n"
        "  ranges:\n  - type: ECOSYSTEM\n    events: [{introduced: '0'}, {fixed: '2.0'}]\n"
    )
    with zipfile.ZipFile(tmp_path / "all.zip", "w") as zf:
        for r in recs:
            zf.writestr(f"{r['id']}.json", json.dumps(r))
    for source in ("json", "yaml", "all.zip"):
        db = load_database(tmp_path / source)
        assert ids(db, "demo-pkg", "1.0") == ["PYSEC-1"], source
    yaml_record = load_database(tmp_path / "yaml").records["PYSEC-1"]
    assert yaml_record["published"] == "2023-05-01T10:00:00Z"  # timestamps stay RFC 3339 text
    json.dumps(yaml_record)  # and the record stays JSON-serialisable for the endpoint


def test_index_is_cached_by_content_hash(tmp_path: Path) -> None:
    write_records(tmp_path / "db", [record("PYSEC-1", ranges=rng({"introduced": "0"}))])
    cache = tmp_path / "cache"
    first = load_database(tmp_path / "db", cache_dir=cache)
    (cache_file,) = cache.glob("osv-index-*.json")
    # Plant a marker in the cache: a second load must come from it, not from the records.
    data = json.loads(cache_file.read_text())
    data["records"]["PYSEC-1"]["summary"] = "from cache"
    cache_file.write_text(json.dumps(data))
    assert (
        load_database(tmp_path / "db", cache_dir=cache).records["PYSEC-1"]["summary"]
        == "from cache"
    )
    # Changing the database changes the key: a new index is built.
    write_records(tmp_path / "db", [record("PYSEC-2", ranges=rng({"introduced": "0"}))])
    rebuilt = load_database(tmp_path / "db", cache_dir=cache)
    assert sorted(rebuilt.records) == ["PYSEC-1", "PYSEC-2"]
    assert rebuilt.digest != first.digest
    assert len(list(cache.glob("osv-index-*.json"))) == 2


def test_corrupt_zip_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "all.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(AdvisoryDatabaseError, match="not a readable zip") as info:
        load_database(bad)
    assert info.value.exit_code == ExitCode.USAGE
    assert info.value.remediation


def test_invalid_json_record_names_the_file(tmp_path: Path) -> None:
    write_records(tmp_path, [record("PYSEC-1")])
    (tmp_path / "PYSEC-2.json").write_text('{"id": "PYSEC-2", ')
    with pytest.raises(AdvisoryDatabaseError, match=r"PYSEC-2\.json is not valid JSON") as info:
        load_database(tmp_path)
    assert info.value.exit_code == ExitCode.USAGE


@pytest.mark.parametrize("content", ['["a list"]', '{"no": "id"}'])
def test_non_record_json_is_rejected(tmp_path: Path, content: str) -> None:
    (tmp_path / "X.json").write_text(content)
    with pytest.raises(AdvisoryDatabaseError, match="not an OSV record"):
        load_database(tmp_path)


def test_missing_and_empty_databases(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryDatabaseError, match="does not exist"):
        load_database(tmp_path / "nope")
    (tmp_path / "README.md").write_text("no records here")
    with pytest.raises(AdvisoryDatabaseError, match="holds no OSV records"):
        load_database(tmp_path)


@pytest.fixture(scope="module")
def endpoint(dev_db):
    with LoopbackOSV(dev_db) as ep:
        yield ep


def test_endpoint_query_as_pip_audit_sends_it(endpoint) -> None:
    body = {"package": {"name": "jupyter-server", "ecosystem": "PyPI"}, "version": "2.7.1"}
    resp = requests.post(endpoint.query_url, data=json.dumps(body), timeout=5)
    assert resp.status_code == 200
    assert sorted(v["id"] for v in resp.json()["vulns"]) == ["PYSEC-2023-155", "PYSEC-2023-157"]
    body = {"package": {"name": "packaging", "ecosystem": "PyPI"}, "version": "24.1"}
    assert requests.post(endpoint.query_url, json=body, timeout=5).json() == {}
    purl = {"package": {"purl": "pkg:pypi/babel@2.9.0"}}
    assert [
        v["id"] for v in requests.post(endpoint.query_url, json=purl, timeout=5).json()["vulns"]
    ] == ["PYSEC-2021-421"]


def test_endpoint_querybatch_and_vulns(endpoint) -> None:
    queries = [
        {"package": {"name": "Babel", "ecosystem": "PyPI"}, "version": "2.9.0"},
        {"package": {"name": "black", "ecosystem": "PyPI"}, "version": "24.3.0"},
    ]
    resp = requests.post(f"{endpoint.base_url}/v1/querybatch", json={"queries": queries}, timeout=5)
    results = resp.json()["results"]
    assert [v["id"] for v in results[0]["vulns"]] == ["PYSEC-2021-421"]
    assert "modified" in results[0]["vulns"][0]
    assert results[1] == {}
    got = requests.get(f"{endpoint.base_url}/v1/vulns/PYSEC-2021-421", timeout=5)
    assert got.status_code == 200 and got.json()["id"] == "PYSEC-2021-421"
    missing = requests.get(f"{endpoint.base_url}/v1/vulns/PYSEC-0000-0", timeout=5)
    assert missing.status_code == 404 and missing.json()["code"] == 5


def test_endpoint_rejects_bad_requests(endpoint) -> None:
    bad = requests.post(endpoint.query_url, data=b"{not json", timeout=5)
    assert bad.status_code == 400
    no_pkg = requests.post(endpoint.query_url, json={"commit": "abc"}, timeout=5)
    assert no_pkg.status_code == 400
    assert requests.post(f"{endpoint.base_url}/v1/other", json={}, timeout=5).status_code == 404


def test_pep440_equal_spellings_match_listed_versions() -> None:
    db = db_of(record("S", versions=["1.0", "2.0-rc1", "3.1.0"]))
    assert ids(db, "demo-pkg", "1.0.0") == ["S"]  # 1.0 == 1.0.0
    assert ids(db, "demo-pkg", "1") == ["S"]
    assert ids(db, "demo-pkg", "2.0rc1") == ["S"]  # normal form of 2.0-rc1
    assert ids(db, "demo-pkg", "3.1") == ["S"]
    assert ids(db, "demo-pkg", "1.0.1") == []
    assert ids(db, "demo-pkg", "2.0") == []


def test_in_process_service_answers_as_pip_audits_osv_service_over_http(dev_db, assets) -> None:
    """DatabaseService (what --advisory-db uses) and pip-audit's OsvService querying the
    loopback endpoint over the same index give pip-audit identical results."""
    from pip_audit._service import OsvService
    from pip_audit._service.interface import ResolvedDependency, SkippedDependency

    from chainkit.audit._osv.service import DatabaseService

    def key(results):
        return sorted(
            (r.id, sorted(r.aliases), r.description, r.fix_versions, r.published) for r in results
        )

    pins = [
        line.split("==")
        for line in (assets / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    ]
    assert len(pins) == 41
    in_process = DatabaseService(dev_db)
    with LoopbackOSV(dev_db) as endpoint:
        over_http = OsvService(osv_url=endpoint.query_url)
        over_http.session.trust_env = False
        for name, version in pins:
            dep = ResolvedDependency(name=name, version=Version(version))
            assert key(in_process.query(dep)[1]) == key(over_http.query(dep)[1]), name
    skipped = SkippedDependency(name="x", skip_reason="r")
    assert in_process.query(skipped) == (skipped, [])
