"""Odd advisory data and environments: fail closed, clear errors, offline means offline."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from integration.audit.test_audit_command_inputs_formats_policy_and_exit_codes import (
    RunCli,
    run_cli,  # noqa: F401 - the fixture
)


def record(rid: str, package: str, events: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "modified": "2024-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"name": package, "ecosystem": "PyPI"},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
                **extra,
            }
        ],
    }


def write_db(tmp_path: Path, *records: dict[str, Any]) -> Path:
    db = tmp_path / "osv"
    db.mkdir()
    for r in records:
        (db / f"{r['id']}.json").write_text(json.dumps(r))
    return db


def test_a_non_pep440_fixed_version_fails_closed(run_cli: RunCli, tmp_path: Path) -> None:  # noqa: F811
    db = write_db(
        tmp_path, record("PYSEC-0000-1", "steam", [{"introduced": "0"}, {"fixed": "2019-09-12"}])
    )
    req = tmp_path / "requirements.txt"
    req.write_text("steam==0.9.0\n")
    result = run_cli("-r", req, "--advisory-db", db, "--format", "json")
    assert result.code == 1, result.err  # reported, not an input error, not a crash
    ids = [f["id"] for f in result.json()["findings"]]
    assert ids == ["PYSEC-0000-1"]


def test_a_record_of_the_wrong_shape_is_a_clear_database_error(
    run_cli: RunCli,  # noqa: F811
    tmp_path: Path,
) -> None:
    bad = record("PYSEC-0000-2", "six", [])
    bad["affected"][0]["ranges"][0]["events"] = ["fixed"]
    db = write_db(tmp_path, bad)
    req = tmp_path / "requirements.txt"
    req.write_text("six==1.16.0\n")
    result = run_cli("-r", req, "--advisory-db", db)
    assert result.code == 2
    assert "PYSEC-0000-2.json" in result.err and "events" in result.err


def test_an_implausibly_large_zip_member_is_refused(run_cli: RunCli, tmp_path: Path) -> None:  # noqa: F811
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("PYSEC-0000-3.json", b" " * (17 * 1024 * 1024))  # compresses to ~17 KiB
    req = tmp_path / "requirements.txt"
    req.write_text("six==1.16.0\n")
    result = run_cli("-r", req, "--advisory-db", archive)
    assert result.code == 2
    assert "implausibly large" in result.err


def test_proxies_are_not_used_for_the_loopback_endpoint(run_cli: RunCli, tmp_path: Path) -> None:  # noqa: F811
    db = write_db(tmp_path, record("PYSEC-0000-4", "six", [{"introduced": "0"}]))
    req = tmp_path / "requirements.txt"
    req.write_text("six==1.16.0\n")
    dead_proxy = "http://127.0.0.1:9"
    result = run_cli(
        "-r", req, "--advisory-db", db,
        env={"HTTP_PROXY": dead_proxy, "HTTPS_PROXY": dead_proxy, "NO_PROXY": ""},
    )  # fmt: skip
    assert result.code == 1, result.err


def test_ignore_ids_are_case_insensitive(run_cli: RunCli, tmp_path: Path) -> None:  # noqa: F811
    db = write_db(tmp_path, record("PYSEC-0000-5", "six", [{"introduced": "0"}]))
    req = tmp_path / "requirements.txt"
    req.write_text("six==1.16.0\n")
    policy = tmp_path / "policy.toml"
    policy.write_text('[[ignore]]\nid = "pysec-0000-5"\nreason = "not reachable from our code"\n')
    result = run_cli("-r", req, "--advisory-db", db, "--policy", policy)
    assert result.code == 0, result.err
