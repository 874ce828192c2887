"""``chainkit audit`` end to end: real pip-audit resolving, the loopback endpoint matching."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chainkit.audit import LoopbackOSV, load_database
from chainkit.cli import cli

REPO = Path(__file__).resolve().parents[3]
ASSETS = REPO / "tests" / "assets" / "audit"
SNAPSHOT = REPO.parent / "shared" / "advisories" / "pypi-advisories-osv.zip"


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


RunCli = Callable[..., Run]


@pytest.fixture
def run_cli(capsys, monkeypatch, tmp_path_factory) -> RunCli:
    """``chainkit audit ARGS`` in-process; stdout and stderr captured; a private cache dir."""
    cache = tmp_path_factory.mktemp("audit-cache")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    for name in ("FAIL_ON", "ADVISORY_DB", "FORMAT", "POLICY", "SERVICE", "OSV_URL", "SUMMARY"):
        monkeypatch.delenv(f"CHAINKIT_AUDIT_{name}", raising=False)
    monkeypatch.setenv("CHAINKIT_AUDIT_CACHE_DIR", str(cache))

    def run(*args: str | Path, env: dict[str, str] | None = None) -> Run:
        """``env`` applies to this one run."""
        capsys.readouterr()
        with monkeypatch.context() as m:
            for key, value in (env or {}).items():
                m.setenv(key, value)
            code = cli.main(["audit", *map(str, args)], prog_name="chainkit", standalone_mode=False)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def snapshot_cache(tmp_path_factory) -> Path:
    """One index cache for the full snapshot per test session (built once, then reused)."""
    if not SNAPSHOT.is_file():
        pytest.skip(f"full advisory snapshot not found at {SNAPSHOT}")
    return tmp_path_factory.mktemp("snapshot-cache")


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def findings_by_pin(report: dict[str, Any]) -> dict[str, list[str]]:
    """``canonical-name==version`` -> sorted advisory ids, from the JSON report."""
    from packaging.utils import canonicalize_name

    out: dict[str, list[str]] = {
        f"{canonicalize_name(p['name'])}=={p['version']}": [] for p in report["packages"]
    }
    for f in report["findings"]:
        out[f"{canonicalize_name(f['package'])}=={f['version']}"].append(f["id"])
    return {k: sorted(v) for k, v in out.items()}


EXPECTED = json.loads((ASSETS / "expected.json").read_text())
REQS = ASSETS / "requirements.txt"
DB = ASSETS / "osv"


def test_worked_set_finds_exactly_the_expected_ids(run_cli) -> None:
    run = run_cli("-r", REQS, "--advisory-db", DB, "--format", "json")
    assert run.code == 1, run.err
    report = run.json()
    assert findings_by_pin(report) == EXPECTED
    assert report["skipped"] == []
    assert report["inputs"][0]["mode"] == "pinned: audited as written, nothing installed"
    assert report["summary"]["blocking"] == report["summary"]["findings"] == 78
    assert "41 packages audited" in run.err


def test_full_snapshot_finds_exactly_the_expected_ids(run_cli, snapshot_cache) -> None:
    args = (
        "-r",
        REQS,
        "--advisory-db",
        SNAPSHOT,
        "--format",
        "json",
        "--cache-dir",
        snapshot_cache,
    )
    run = run_cli(*args)
    assert run.code == 1, run.err
    assert findings_by_pin(run.json()) == EXPECTED
    assert "2661 records" in run.json()["service"]
    assert len(list(snapshot_cache.glob("osv-index-*.json"))) == 1  # built once, cached
    again = run_cli(*args)
    assert findings_by_pin(again.json()) == EXPECTED


def test_sarif_validates_and_points_at_the_requirement_line(run_cli, tmp_path, monkeypatch) -> None:
    shutil.copy(REQS, tmp_path / "requirements.txt")
    monkeypatch.chdir(tmp_path)
    run = run_cli(
        "-r", "requirements.txt", "--advisory-db", DB, "--format", "sarif", "-o", "out.sarif"
    )
    assert run.code == 1
    assert run.out == ""  # the report went to the file
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    schema = json.loads((ASSETS / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert len(results) == 78
    babel = next(r for r in results if r["ruleId"] == "PYSEC-2021-421")
    loc = babel["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "requirements.txt"
    assert loc["region"]["startLine"] == 4  # "Babel==2.9.0" is line 4
    assert "Upgrade to 2.9.1" in babel["message"]["text"]
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["PYSEC-2024-38"]["properties"]["security-severity"] == "7.5"


def write_policy_project(tmp_path: Path, policy: str) -> Path:
    (tmp_path / "requirements.txt").write_text(
        "Babel==2.9.0\nfastapi==0.109.0\njupyter_server==2.7.1\nblack==24.3.0\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "1"\n\n[tool.chainkit.audit]\n{policy}'
    )
    return tmp_path


def test_policy_thresholds_ignores_aliases_and_expiry(run_cli, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(write_policy_project(tmp_path, 'fail-on = "high"\n'))
    base = ("-r", "requirements.txt", "--advisory-db", DB, "--format", "json")
    run = run_cli(*base)
    assert run.code == 1
    blocking = sorted(f["id"] for f in run.json()["findings"] if f["blocking"])
    assert blocking == ["PYSEC-2021-421", "PYSEC-2024-38"]  # unknown counts as high; 2x medium pass
    assert run_cli(*base, "--fail-on", "critical").code == 0
    assert (
        run_cli(*base, env={"CHAINKIT_AUDIT_FAIL_ON": "medium"}).json()["summary"]["blocking"] == 4
    )

    write_policy_project(
        tmp_path,
        'fail-on = "high"\n'
        '[[tool.chainkit.audit.ignore]]\nid = "CVE-2021-42771"\npackage = "babel"\n'
        'reason = "locale names are never user input"\n'
        '[[tool.chainkit.audit.ignore]]\nid = "PYSEC-2024-38"\npackage = "starlette"\n'
        'reason = "scoped to another package"\n',
    )
    run = run_cli(*base)
    report = run.json()
    babel = next(f for f in report["findings"] if f["id"] == "PYSEC-2021-421")
    assert babel["ignored"]["reason"] == "locale names are never user input"  # via its CVE alias
    assert not babel["blocking"]
    assert run.code == 1  # fastapi's ignore is scoped to starlette, so it still fails

    write_policy_project(
        tmp_path,
        'fail-on = "high"\n'
        '[[tool.chainkit.audit.ignore]]\nid = "CVE-2021-42771"\nreason = "r"\n'
        "expires = 2020-01-01\n"
        '[[tool.chainkit.audit.ignore]]\nid = "GHSA-qf9m-vfgh-m389"\n'
        'reason = "multipart not used"\n',
    )
    run = run_cli(*base)
    assert run.code == 1  # the Babel ignore expired
    assert "expired on 2020-01-01" in run.err
    assert [f["id"] for f in run.json()["findings"] if f["blocking"]] == ["PYSEC-2021-421"]
    assert run.json()["expired_ignores"][0]["id"] == "CVE-2021-42771"

    policy = tmp_path / "strict.toml"
    policy.write_text('fail-on = "medium"\nunknown-severity = "ignore"\n')
    run = run_cli(*base, "--policy", policy)  # --policy replaces pyproject's table
    assert sorted(f["id"] for f in run.json()["findings"] if f["blocking"]) == [
        "PYSEC-2023-155",
        "PYSEC-2023-157",
        "PYSEC-2024-38",
    ]


def test_summary_markdown_and_table(run_cli, tmp_path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    run = run_cli(
        "-r", REQS, "--advisory-db", DB, "--summary", env={"GITHUB_STEP_SUMMARY": str(summary)}
    )
    assert run.code == 1
    text = summary.read_text()
    assert text.startswith("# earlier step\n## chainkit audit")
    assert "| PYSEC-2024-38 | high | 7.5 | fastapi 0.109.0 | 0.109.1 | FAIL |" in text
    assert "- PYSEC-2024-38: https://osv.dev/vulnerability/PYSEC-2024-38\n" in text  # rules
    assert "requirements.txt (requirements): pinned: audited as written" in text
    header = run.out.splitlines()[0].split()
    assert header == ["Where", "Rule", "Severity", "Fix", "Status"]  # the table on stdout
    fastapi = next(line for line in run.out.splitlines() if "PYSEC-2024-38" in line)
    assert fastapi.split() == [
        "fastapi",
        "0.109.0",
        "PYSEC-2024-38",
        "high",
        "7.5",
        "0.109.1",
        "FAIL",
    ]
    md = run_cli("-r", REQS, "--advisory-db", DB, "--format", "markdown", "--fail-on", "critical")
    assert md.code == 0 and md.out.startswith("## chainkit audit\n\n:white_check_mark:")


def test_cyclonedx_validates(run_cli) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    run = run_cli("-r", REQS, "--advisory-db", DB, "--format", "cyclonedx")
    assert JsonStrictValidator(SchemaVersion.V1_5).validate_str(run.out) is None
    bom = run.json()
    assert len(bom["components"]) == 41
    fastapi = next(v for v in bom["vulnerabilities"] if v["id"] == "PYSEC-2024-38")
    assert fastapi["ratings"][0] == {
        "severity": "high",
        "score": 7.5,
        "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
        "method": "CVSSv31",
    }
    assert fastapi["affects"] == [{"ref": "pkg:pypi/fastapi@0.109.0"}]


def test_uv_lock_project_reports_what_was_skipped(run_cli, tmp_path) -> None:
    registry = 'source = { registry = "https://pypi.org/simple" }\n'
    (tmp_path / "uv.lock").write_text(
        'version = 1\n\n[[package]]\nname = "demo"\nversion = "0.1.0"\n'
        'source = { editable = "." }\n\n'
        f'[[package]]\nname = "babel"\nversion = "2.9.0"\n{registry}\n'
        f'[[package]]\nname = "black"\nversion = "24.3.0"\n{registry}'
    )
    run = run_cli(tmp_path, "--locked", "--advisory-db", DB, "--format", "json")
    assert run.code == 1
    report = run.json()
    assert findings_by_pin(report) == {"babel==2.9.0": ["PYSEC-2021-421"], "black==24.3.0": []}
    assert report["skipped"] == [
        {
            "name": "demo",
            "reason": "not from a package index (uv source: editable)",
            "source": report["inputs"][0]["label"],
        }
    ]
    assert report["findings"][0]["locations"][0]["line"] == 9
    assert "not audited: demo" in run.err


def test_online_service_path_fetches_records_by_id(run_cli, tmp_path) -> None:
    """--service osv against an OSV stand-in: pip-audit queries it, chainkit fetches severities."""
    (tmp_path / "r.txt").write_text("fastapi==0.109.0\npackaging==24.1\n")
    with LoopbackOSV(load_database(DB)) as osv:
        url = osv.query_url
        run = run_cli(
            "-r",
            tmp_path / "r.txt",
            "--service",
            "osv",
            "--osv-url",
            osv.query_url,
            "--format",
            "json",
        )
    assert run.code == 1
    (finding,) = run.json()["findings"]
    assert finding["severity"]["score"] == 7.5 and finding["fix_versions"] == ["0.109.1"]
    assert run.json()["service"] == f"OSV ({url})"


def test_environment_input(run_cli) -> None:
    run = run_cli("--env", "--advisory-db", DB, "--format", "json")
    assert run.code in (0, 1), run.err
    report = run.json()
    assert report["inputs"][0]["kind"] == "environment"
    names = {p["name"].lower().replace("_", "-") for p in report["packages"]}
    assert {"click", "packaging", "pip-audit"} <= names


@pytest.mark.parametrize(
    ("make_args", "code", "message"),
    [
        (lambda t: ["-r", t / "missing.txt", "--advisory-db", DB], 2, "does not exist"),
        (lambda t: [t / "uv.lock", "--advisory-db", DB], 2, "could not be parsed"),
        (lambda t: ["-r", REQS, "--advisory-db", t / "corrupt.zip"], 2, "not a readable zip"),
        (lambda t: ["-r", REQS, "--advisory-db", t / "bad-db"], 2, "is not valid JSON"),
        (lambda t: ["--advisory-db", DB], 2, "nothing to audit"),
        (lambda t: ["-r", REQS, "--fail-on", "severe"], 2, "Invalid value for '--fail-on'"),
    ],
)
def test_bad_input_is_a_clear_usage_error(run_cli, tmp_path, make_args, code, message) -> None:
    (tmp_path / "uv.lock").write_text("version = 1\n[[package]\n")
    (tmp_path / "corrupt.zip").write_bytes(b"PK\x05\x06 truncated")
    (tmp_path / "bad-db").mkdir()
    (tmp_path / "bad-db" / "PYSEC-1.json").write_text("{ not json")
    run = run_cli(*make_args(tmp_path))
    assert run.code == code
    assert message in run.err
    assert "hint:" in run.err or "Usage:" in run.err


def test_unreachable_service_is_exit_3(run_cli, closed_port) -> None:
    url = f"http://127.0.0.1:{closed_port}/v1/query"
    run = run_cli("-r", REQS, "--service", "osv", "--osv-url", url, env={})
    assert run.code == 3
    assert "vulnerability service failed" in run.err
    assert "--advisory-db" in run.err  # the remediation offers the offline route


def test_advisory_db_from_environment_variable(run_cli) -> None:
    run = run_cli("-r", REQS, "--format", "json", env={"CHAINKIT_AUDIT_ADVISORY_DB": str(DB)})
    assert findings_by_pin(run.json()) == EXPECTED


def test_full_snapshot_in_process(snapshot_cache) -> None:
    """The public API on the full snapshot, the index coming from the session's cache."""
    from chainkit.audit import AuditRequest, Policy, requirements_input, run_audit

    db = load_database(SNAPSHOT, cache_dir=snapshot_cache)
    request = AuditRequest((requirements_input([REQS]),), cache_dir=snapshot_cache)
    report = run_audit(request, Policy(), database=db)
    got = {f"{p.canonical_name}=={p.version}": [] for p in report.packages}
    for f in report.findings:
        got[f"{f.package.canonical_name}=={f.package.version}"].append(f.advisory.id)
    assert {k: sorted(v) for k, v in got.items()} == EXPECTED
    assert int(report.exit_code) == 1


def test_sarif_marks_ignored_findings_as_suppressed(run_cli, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(
        write_policy_project(
            tmp_path,
            '[[tool.chainkit.audit.ignore]]\nid = "GHSA-qf9m-vfgh-m389"\n'
            'reason = "multipart not used"\nexpires = 2999-12-31\n',
        )
    )
    run = run_cli("-r", "requirements.txt", "--advisory-db", DB, "--format", "sarif")
    sarif = json.loads(run.out)
    schema = json.loads((ASSETS / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    by_rule = {r["ruleId"]: r for r in sarif["runs"][0]["results"]}
    fastapi = by_rule["PYSEC-2024-38"]
    assert fastapi["level"] == "note"
    assert fastapi["suppressions"][0]["status"] == "accepted"
    assert "multipart not used" in fastapi["suppressions"][0]["justification"]
    assert by_rule["PYSEC-2021-421"]["level"] == "error"
    assert fastapi["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
