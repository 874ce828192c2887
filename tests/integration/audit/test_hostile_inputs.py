"""Hostile inputs through ``chainkit audit`` (issue #10): nothing of an input is copied into a
report or an error, advisory data fails closed, Markdown cannot be injected, the cache is not
written or read through a symlink."""

from __future__ import annotations

import json
import os
import re
import struct
import threading
import zipfile
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from integration.audit.test_advisory_data_edge_cases import record
from integration.audit.test_audit_command_inputs_formats_policy_and_exit_codes import (
    RunCli,
    run_cli,  # noqa: F401 - the fixture
)

CANARY = "CHAINKIT_CANARY_7f3a"
RAW_HTML = re.compile(r"(?<!\\)<img")  # an unescaped tag; "\<img" is inert text
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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            f"six==1.16.0 --hash=sha256:{'0' * 64}\nidna==3.7  # {CANARY}\n",
            "requirements.txt:2: idna has no --hash, but other requirements are hashed",
        ),
        (
            f"six==1.16.0\nsix==1.15.0  # {CANARY}\n",
            "requirements.txt:2: six is pinned differently at requirements.txt:1",
        ),
    ],
    ids=["partly-hashed", "pinned-twice"],
)
def test_what_pip_audit_rejects_is_said_by_place_not_by_quoting(
    run_cli: RunCli,  # noqa: F811
    project: Path,
    text: str,
    message: str,
) -> None:
    (project / "requirements.txt").write_text(text)
    result = run_cli("-r", "requirements.txt", "--advisory-db", "osv")
    assert result.code == 2, result.out + result.err
    assert message in result.err
    assert CANARY not in result.out + result.err


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_marker_value_is_not_copied_into_reports(
    run_cli: RunCli,  # noqa: F811
    project: Path,
    fmt: str,
) -> None:
    (project / "requirements.txt").write_text(
        f'six==1.16.0\nidna==3.7 ; sys_platform == "{CANARY}<img>" and python_version < "3"\n'
    )
    result = run_cli("-r", "requirements.txt", "--advisory-db", "osv", "--format", fmt)
    assert result.code == 1, result.out + result.err
    assert CANARY not in result.out + result.err
    if fmt == "json":
        (skipped,) = result.json()["skipped"]
        assert skipped["reason"] == (
            "environment marker does not apply here (python_version, sys_platform)"
        )


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


def test_a_lock_file_source_kind_is_not_copied_into_reasons(
    run_cli: RunCli,  # noqa: F811
    project: Path,
) -> None:
    (project / "uv.lock").write_text(
        "version = 1\n"
        '[[package]]\nname = "six"\nversion = "1.16.0"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
        f'[[package]]\nname = "idna"\nversion = "3.7"\n'
        f'source = {{ "{CANARY}\\n::error::forged" = "x" }}\n'
    )
    result = run_cli("--locked", "--advisory-db", "osv", "--format", "json")
    assert result.code == 1, result.out + result.err
    assert CANARY not in result.out + result.err
    reasons = [s["reason"] for s in result.json()["skipped"]]
    assert reasons == ["not from a package index (uv source: other)"]


@pytest.mark.parametrize(
    ("header", "version", "message"),
    [
        (f'lock-version = "{CANARY}"', "1.16.0", "lock-version is not a version"),
        ('lock-version = "1.0"', f"<img> {CANARY}", "#1: version is not a PEP 440 version"),
    ],
)
def test_a_pylock_with_a_hostile_version_is_an_input_error_without_echo(
    run_cli: RunCli,  # noqa: F811
    project: Path,
    header: str,
    version: str,
    message: str,
) -> None:
    (project / "pylock.toml").write_text(
        f'{header}\ncreated-by = "x"\n[[packages]]\nname = "six"\nversion = "{version}"\n'
    )
    result = run_cli("--locked", "--advisory-db", "osv")
    assert result.code == 2, result.out + result.err
    assert message in result.err
    assert CANARY not in result.out + result.err


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


# --- item 9: Markdown through chainkit._internal.markdown -------------------------------------


def test_hostile_advisory_text_cannot_change_markdown_or_sarif_markdown(
    run_cli: RunCli,  # noqa: F811
    project: Path,
) -> None:
    hostile = "a|b `c` <img src=x onerror=alert(1)>\n| forged | row |\n# heading"
    db = write_db(
        project / "db",
        record("PYSEC-0000-15", "six", [{"introduced": "0"}]) | {"summary": hostile},
    )
    (project / "requirements.txt").write_text("six==1.16.0\n")
    summary = project / "summary.md"
    md = run_cli(
        "-r", "requirements.txt", "--advisory-db", db, "--format", "markdown", "--summary",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )  # fmt: skip
    assert md.code == 1, md.err
    for text in (md.out, summary.read_text()):
        assert not RAW_HTML.search(text)
        assert "| forged |" not in text
        assert "\n# heading" not in text
        table_rows = [line for line in text.splitlines() if line.startswith("| ")]
        assert len(table_rows) == 3  # header, separator, one finding
        assert all(row.count(" | ") == 5 for row in table_rows)  # six cells each
    sarif = run_cli("-r", "requirements.txt", "--advisory-db", db, "--format", "sarif")
    for rule in sarif.json()["runs"][0]["tool"]["driver"]["rules"]:
        help_md = rule["help"]["markdown"]
        assert not RAW_HTML.search(help_md)
        assert "\n|" not in help_md and "\n#" not in help_md


def test_a_hostile_advisory_id_cannot_break_out_of_a_link(run_cli: RunCli, project: Path) -> None:  # noqa: F811
    rid = "PYSEC-0000-16<img src=x>) [x](javascript:alert(1)"
    db = project / "db"
    db.mkdir()
    (db / "r.json").write_text(json.dumps(record(rid, "six", [{"introduced": "0"}])))
    (project / "requirements.txt").write_text("six==1.16.0\n")
    sarif = run_cli("-r", "requirements.txt", "--advisory-db", db, "--format", "sarif")
    assert sarif.code == 1, sarif.err
    (rule,) = sarif.json()["runs"][0]["tool"]["driver"]["rules"]
    assert not RAW_HTML.search(rule["help"]["markdown"])
    assert "javascript:" not in rule["helpUri"].split("/vulnerability/", 1)[0]
    assert "<" not in rule["helpUri"] and ">" not in rule["helpUri"] and " " not in rule["helpUri"]
    md = run_cli("-r", "requirements.txt", "--advisory-db", db, "--format", "markdown")
    assert not RAW_HTML.search(md.out) and "](javascript" not in md.out


# --- item 15 (part): the table lists expired ignores --------------------------------------------


def test_the_table_lists_expired_ignores_like_the_other_formats(
    run_cli: RunCli,  # noqa: F811
    project: Path,
) -> None:
    (project / "requirements.txt").write_text("six==1.16.0\n")
    policy = project / "policy.toml"
    policy.write_text(
        '[[ignore]]\nid = "PYSEC-0000-10"\nreason = "was not reachable"\nexpires = 2020-01-01\n'
    )
    args = ("-r", "requirements.txt", "--advisory-db", "osv", "--policy", policy)
    table = run_cli(*args, "--format", "table")
    as_json = run_cli(*args, "--format", "json")
    markdown = run_cli(*args, "--format", "markdown")
    assert table.code == as_json.code == markdown.code == 1
    assert [i["id"] for i in as_json.json()["expired_ignores"]] == ["PYSEC-0000-10"]
    assert "Expired ignores" in markdown.out
    assert "Expired ignores (no longer applied):" in table.out
    assert "PYSEC-0000-10 until 2020-01-01: was not reachable" in table.out


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


def test_a_symlinked_cache_directory_is_not_used(run_cli: RunCli, project: Path) -> None:  # noqa: F811
    (project / "requirements.txt").write_text("six==1.16.0\n")
    cache = project.parent / "cache"
    run_cli("-r", "requirements.txt", "--advisory-db", "osv", "--cache-dir", cache)
    (index,) = cache.glob("osv-index-*.json")
    data = json.loads(index.read_text())
    data["records"] = {"PYSEC-0000-99": record("PYSEC-0000-99", "unrelated", [])}
    elsewhere = project.parent / "elsewhere"  # e.g. a directory restored from a poisoned cache
    elsewhere.mkdir()
    (elsewhere / index.name).write_text(json.dumps(data))
    linked = project.parent / "linked-cache"
    linked.symlink_to(elsewhere, target_is_directory=True)
    result = run_cli("-r", "requirements.txt", "--advisory-db", "osv", "--cache-dir", linked)
    assert result.code == 1, result.err  # the planted index behind the link was not read
    assert "symlink" in result.err
    assert [p.name for p in elsewhere.iterdir()] == [index.name]  # nothing written there


# --- the policy file ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        f"SECRET_TOKEN={CANARY}\0PATH=/usr/bin\0".encode(),
        b"\xff\xfe" + CANARY.encode(),
        b"#" * (5 * 1024 * 1024),
    ],
    ids=["environ", "not-utf8", "huge"],
)
def test_a_policy_that_is_not_one_is_exit_2_without_echo(
    run_cli: RunCli,  # noqa: F811
    project: Path,
    content: bytes,
) -> None:
    (project / "requirements.txt").write_text("six==1.16.0\n")
    (project / "policy.toml").write_bytes(content)
    result = run_cli("-r", "requirements.txt", "--advisory-db", "osv", "--policy", "policy.toml")
    assert result.code == 2, result.out + result.err
    assert "policy file policy.toml" in result.err and "hint:" in result.err
    assert CANARY not in result.out + result.err


# --- the offline database ---------------------------------------------------------------------


def test_a_symlink_in_a_database_directory_is_refused_and_not_read(
    run_cli: RunCli,  # noqa: F811
    project: Path,
) -> None:
    secret = project.parent / "secret.yaml"
    secret.write_text(f"token: {CANARY}\n")
    db = write_db(project / "db", record("PYSEC-0000-17", "six", [{"introduced": "0"}]))
    (db / "zz.yaml").symlink_to(secret)
    (project / "requirements.txt").write_text("six==1.16.0\n")
    result = run_cli("-r", "requirements.txt", "--advisory-db", db)
    assert result.code == 2, result.out + result.err
    assert "zz.yaml is (under) a symlink" in result.err
    assert CANARY not in result.out + result.err


def test_a_zip_member_larger_than_its_header_says_is_refused(
    run_cli: RunCli,  # noqa: F811
    project: Path,
) -> None:
    payload = json.dumps(record("PYSEC-0000-18", "six", [{"introduced": "0"}])).encode()
    payload += b" " * (8 * 1024 * 1024)  # what a bomb inflates to
    archive = project / "all.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("PYSEC-0000-18.json", payload)
    data = archive.read_bytes().replace(struct.pack("<I", len(payload)), struct.pack("<I", 100))
    archive.write_bytes(data)  # the headers now claim 100 bytes
    (project / "requirements.txt").write_text("six==1.16.0\n")
    result = run_cli("-r", "requirements.txt", "--advisory-db", archive)
    assert result.code == 2, result.out + result.err
    assert "not a readable zip archive" in result.err


@pytest.mark.parametrize("where", ["member", "id", "alias"])
def test_names_and_ids_that_would_forge_a_log_line_are_refused(
    run_cli: RunCli,  # noqa: F811
    project: Path,
    where: str,
) -> None:
    forged = "PYSEC-0000-19\n::error::forged"
    rec = record("PYSEC-0000-19", "six", [{"introduced": "0"}])
    member = "PYSEC-0000-19.json"
    if where == "member":
        member = forged + ".json"
    elif where == "id":
        rec["id"] = forged
    else:
        rec["aliases"] = [forged]
    archive = project / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(member, json.dumps(rec))
    (project / "requirements.txt").write_text("six==1.16.0\n")
    result = run_cli("-r", "requirements.txt", "--advisory-db", archive, "--format", "json")
    assert result.code == 2, result.out + result.err
    assert "control characters" in result.err or "printable text" in result.err
    assert "\n::error::forged" not in result.out + result.err


# --- the online service ----------------------------------------------------------------------


@pytest.fixture
def hostile_osv() -> Iterator[Callable[[dict[str, Any]], str]]:
    """A loopback OSV endpoint that answers every query with the given JSON; its URL."""
    servers: list[ThreadingHTTPServer] = []

    def serve(answer: dict[str, Any]) -> str:
        body = json.dumps(answer).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/v1/query"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "vuln",
    [
        {"id": "X-1", "affected": [{"package": "six"}]},
        {"id": "X-1", "affected": ["six"]},
        {
            "id": "X-1",
            "affected": [{"package": {"name": "six", "ecosystem": "PyPI"}}],
            "aliases": 7,
        },
    ],
    ids=["package-not-object", "affected-entry-not-object", "aliases-not-list"],
)
def test_a_malformed_online_response_is_exit_3_not_a_crash(
    run_cli: RunCli,  # noqa: F811
    project: Path,
    hostile_osv: Callable[[dict[str, Any]], str],
    vuln: dict[str, Any],
) -> None:
    url = hostile_osv({"vulns": [vuln]})
    (project / "requirements.txt").write_text("six==1.16.0\n")
    result = run_cli("-r", "requirements.txt", "--osv-url", url, "--format", "json")
    assert result.code in (1, 3), result.out + result.err
    if result.code == 3:
        assert "malformed response" in result.err and "hint:" in result.err
    else:  # pip-audit coped; chainkit did not use the malformed record
        assert "ignoring a malformed advisory record" in result.err
