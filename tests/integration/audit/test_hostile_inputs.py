"""Hostile inputs through ``chainkit audit`` (issue #10): nothing of an input is copied into a
report or an error, advisory data fails closed, Markdown cannot be injected, the cache is not
written or read through a symlink."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from integration.audit.test_advisory_data_edge_cases import record
from integration.audit.test_audit_command_inputs_formats_policy_and_exit_codes import (
    RunCli,
    run_cli,  # noqa: F401 - the fixture
)

CANARY = "CHAINKIT_CANARY_7f3a"
FORMATS = ("table", "json", "sarif", "markdown", "cyclonedx")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory (the working directory) with a one-record offline database."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    write_db(root / "osv", record("PYSEC-0000-10", "six", [{"introduced": "0"}]))
    return root


def write_db(db: Path, *records: dict[str, Any]) -> Path:
    db.mkdir()
    for i, r in enumerate(records):
        (db / f"record-{i}.json").write_text(json.dumps(r))
    return db


def _no_canary(result_out: str, result_err: str, summary: Path) -> None:
    assert CANARY not in result_out
    assert CANARY not in result_err
    assert not summary.exists() or CANARY not in summary.read_text()


# --- item 10: audit never copies input into reports ------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        f"SECRET_TOKEN={CANARY}\0PATH=/usr/bin\0HOME=/home/runner\0".encode(),  # /proc/self/environ
        f"SECRET_TOKEN={CANARY}\n".encode(),  # a .env file
        b"\x7fELF\x02\x01\x01\x00" + CANARY.encode() + b"\x00" * 16,  # a binary
    ],
    ids=["environ", "dotenv", "binary"],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_include_that_is_not_a_requirements_file_is_exit_2_and_never_echoed(
    run_cli: RunCli,  # noqa: F811
    project: Path,
    content: bytes,
    fmt: str,
) -> None:
    (project / "environ").write_bytes(content)
    (project / "requirements.txt").write_text("six==1.16.0\n-r environ\n")
    summary = project / "summary.md"
    result = run_cli(
        "-r", "requirements.txt", "--advisory-db", "osv", "--format", fmt, "--summary",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )  # fmt: skip
    assert result.code == 2, result.out + result.err
    assert "environ" in result.err and "hint:" in result.err
    _no_canary(result.out, result.err, summary)


@pytest.mark.parametrize("option", ["-r", "-c", "--requirement", "--constraint"])
def test_an_include_outside_the_project_is_refused_without_echo(
    run_cli: RunCli,  # noqa: F811
    project: Path,
    option: str,
) -> None:
    outside = project.parent / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"{CANARY}==1.0\n")
    (project / "requirements.txt").write_text(f"six==1.16.0\n{option} ../outside/secret.txt\n")
    result = run_cli("-r", "requirements.txt", "--advisory-db", "osv", "--format", "json")
    assert result.code == 2, result.out + result.err
    assert "requirements.txt:2" in result.err and "outside" in result.err
    assert CANARY not in result.out + result.err
    assert "secret.txt" not in result.err  # the include's target is not quoted either


def test_an_include_through_a_symlink_out_of_the_project_is_refused(
    run_cli: RunCli,  # noqa: F811
    project: Path,
) -> None:
    outside = project.parent / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"{CANARY}==1.0\n")
    (project / "link.txt").symlink_to(outside / "secret.txt")
    (project / "requirements.txt").write_text("six==1.16.0\n-r link.txt\n")
    result = run_cli("-r", "requirements.txt", "--advisory-db", "osv")
    assert result.code == 2, result.out + result.err
    assert CANARY not in result.out + result.err


def test_a_huge_requirements_file_is_an_input_error(run_cli: RunCli, project: Path) -> None:  # noqa: F811
    huge = project / "requirements.txt"
    with huge.open("wb") as fh:
        fh.truncate(64 * 1024 * 1024)  # sparse: 64 MiB of NUL without using the disk
    result = run_cli("-r", "requirements.txt", "--advisory-db", "osv")
    assert result.code == 2, result.out + result.err
    assert "larger than" in result.err


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_url_or_path_requirement_is_skipped_without_quoting_its_line(
    run_cli: RunCli,  # noqa: F811
    project: Path,
    fmt: str,
) -> None:
    (project / "requirements.txt").write_text(
        f"six==1.16.0\n./vendor/{CANARY}|<img src=x>\ngit+https://example.invalid/{CANARY}.git\n"
    )
    summary = project / "summary.md"
    result = run_cli(
        "-r", "requirements.txt", "--advisory-db", "osv", "--format", fmt, "--summary",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )  # fmt: skip
    assert result.code == 1, result.out + result.err  # six is still audited
    _no_canary(result.out, result.err, summary)
    if fmt == "json":
        skipped = result.json()["skipped"]
        assert [s["name"] for s in skipped] == [
            "unnamed requirement (requirements.txt:2)",
            "unnamed requirement (requirements.txt:3)",
        ]


def test_a_lock_file_with_a_hostile_name_is_an_input_error(
    run_cli: RunCli,  # noqa: F811
    project: Path,
) -> None:
    (project / "uv.lock").write_text(
        "version = 1\n"
        f'[[package]]\nname = "six|<img src=x>\\n{CANARY}"\nversion = "1.16.0"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
    )
    result = run_cli("--locked", "--advisory-db", "osv", "--format", "json")
    assert result.code == 2, result.out + result.err
    assert "uv.lock" in result.err and "not a valid package name" in result.err
    assert CANARY not in result.out + result.err


def test_a_lock_file_with_a_hostile_version_is_skipped_without_quoting_it(
    run_cli: RunCli,  # noqa: F811
    project: Path,
) -> None:
    (project / "uv.lock").write_text(
        "version = 1\n"
        '[[package]]\nname = "six"\nversion = "1.16.0"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
        f'[[package]]\nname = "idna"\nversion = "<img src=x> {CANARY}"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
    )
    result = run_cli("--locked", "--advisory-db", "osv", "--format", "json")
    assert result.code == 1, result.out + result.err
    assert CANARY not in result.out + result.err
    assert result.json()["skipped"][0]["reason"] == "not a PEP 440 version"


# --- item 11: advisory data fails closed everywhere ------------------------------------------


def test_a_non_pep440_introduced_version_fails_closed(run_cli: RunCli, project: Path) -> None:  # noqa: F811
    db = write_db(
        project / "db",
        record("PYSEC-0000-11", "six", [{"introduced": "2019-09-12"}, {"fixed": "2.0"}]),
    )
    (project / "requirements.txt").write_text("six==1.16.0\n")
    result = run_cli("-r", "requirements.txt", "--advisory-db", db, "--format", "json")
    assert result.code == 1, result.err  # the range opens at the beginning: affected
    assert [f["id"] for f in result.json()["findings"]] == ["PYSEC-0000-11"]
    assert "non-PEP 440" in result.err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "id: PYSEC-0000-12\n"
            "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e]\n"
            "g: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
            "aliases",
        ),
        ("id: PYSEC-0000-12\nid: PYSEC-0000-13\n", "duplicate key"),
        ("id: PYSEC-0000-12\nx: " + "[" * 200 + "]" * 200 + "\n", "deeper"),
    ],
    ids=["alias-bomb", "duplicate-key", "deep"],
)
def test_yaml_records_are_parsed_with_limits(
    run_cli: RunCli,  # noqa: F811
    project: Path,
    text: str,
    message: str,
) -> None:
    db = project / "yamldb"
    db.mkdir()
    (db / "PYSEC-0000-12.yaml").write_text(text)
    (project / "requirements.txt").write_text("six==1.16.0\n")
    result = run_cli("-r", "requirements.txt", "--advisory-db", db)
    assert result.code == 2, result.out + result.err
    assert "PYSEC-0000-12.yaml" in result.err and message in result.err


def test_yaml_record_timestamps_stay_text(run_cli: RunCli, project: Path) -> None:  # noqa: F811
    db = project / "yamldb"
    db.mkdir()
    (db / "PYSEC-0000-14.yaml").write_text(
        "id: PYSEC-0000-14\nmodified: 2024-01-01T00:00:00Z\npublished: 2023-05-06T07:08:09Z\n"
        "affected:\n- package: {name: six, ecosystem: PyPI}\n"
        "  ranges:\n  - type: ECOSYSTEM\n    events: [{introduced: '0'}]\n"
    )
    (project / "requirements.txt").write_text("six==1.16.0\n")
    result = run_cli("-r", "requirements.txt", "--advisory-db", db, "--format", "cyclonedx")
    assert result.code == 1, result.err
    assert [v["id"] for v in result.json()["vulnerabilities"]] == ["PYSEC-0000-14"]


# --- the advisory index cache ----------------------------------------------------------------


def test_a_symlinked_cache_file_is_neither_read_nor_written_through(
    run_cli: RunCli,  # noqa: F811
    project: Path,
) -> None:
    (project / "requirements.txt").write_text("six==1.16.0\n")
    cache = project.parent / "cache"
    first = run_cli("-r", "requirements.txt", "--advisory-db", "osv", "--cache-dir", cache)
    assert first.code == 1, first.err
    (index,) = cache.glob("osv-index-*.json")
    planted = project.parent / "planted.json"
    data = json.loads(index.read_text())
    data["records"] = {"PYSEC-0000-99": record("PYSEC-0000-99", "unrelated", [])}
    planted.write_text(json.dumps(data))
    index.unlink()
    index.symlink_to(planted)
    again = run_cli("-r", "requirements.txt", "--advisory-db", "osv", "--cache-dir", cache)
    assert again.code == 1, again.err  # the planted index was not trusted
    assert json.loads(planted.read_text())["records"].keys() == {"PYSEC-0000-99"}


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_world_writable_cache_file_is_not_trusted(run_cli: RunCli, project: Path) -> None:  # noqa: F811
    (project / "requirements.txt").write_text("six==1.16.0\n")
    cache = project.parent / "cache"
    run_cli("-r", "requirements.txt", "--advisory-db", "osv", "--cache-dir", cache)
    (index,) = cache.glob("osv-index-*.json")
    data = json.loads(index.read_text())
    data["records"] = {"PYSEC-0000-99": record("PYSEC-0000-99", "unrelated", [])}
    index.write_text(json.dumps(data))
    index.chmod(0o666)
    again = run_cli("-r", "requirements.txt", "--advisory-db", "osv", "--cache-dir", cache)
    assert again.code == 1, again.err


def test_a_cached_record_of_the_wrong_shape_is_not_trusted(run_cli: RunCli, project: Path) -> None:  # noqa: F811
    (project / "requirements.txt").write_text("six==1.16.0\n")
    cache = project.parent / "cache"
    run_cli("-r", "requirements.txt", "--advisory-db", "osv", "--cache-dir", cache)
    (index,) = cache.glob("osv-index-*.json")
    data = json.loads(index.read_text())
    data["records"]["PYSEC-0000-10"]["affected"] = "not a list"
    index.write_text(json.dumps(data))
    index.chmod(0o644)
    again = run_cli("-r", "requirements.txt", "--advisory-db", "osv", "--cache-dir", cache)
    assert again.code == 1, again.err  # rebuilt from the database, not a crash
