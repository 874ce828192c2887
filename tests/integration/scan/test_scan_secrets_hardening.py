"""``scan secrets`` against hostile inputs: a rotated secret in the same place (unquoted at
the end of a line, after non-ASCII text, a private key at the very start of a file), a
gitleaks that writes no report, SIGTERM, and suppressions in the repository."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from integration.scan.conftest import GitRepo, RunScan, fake_token


def fake_private_key(seed: str) -> str:
    """A PEM block of the private-key shape (random base64, not a key), built at run time."""
    body = base64.b64encode(
        b"".join(hashlib.sha256(f"{seed}/{i}".encode()).digest() for i in range(12))
    ).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    head, tail = "-----BEGIN RSA " + "PRIVATE KEY-----", "-----END RSA " + "PRIVATE KEY-----"
    return "\n".join([head, *lines, tail]) + "\n"


CASES = {
    "env-unquoted-at-end-of-line": (".env", lambda s: f"SERVICE_API_KEY={fake_token(s)}\n"),
    "yaml-unquoted": ("conf.yaml", lambda s: f"service:\n  api_key: {fake_token(s)}\n"),
    "non-ascii-before": ("conf.yaml", lambda s: f"name: ü ü ü\nnom: é api_key: {fake_token(s)}\n"),
    "pem-at-line-1-col-1": ("key.pem", fake_private_key),
}


@pytest.mark.parametrize("history", ["--history", "--no-history"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_rotated_secret_in_the_same_place_is_never_accepted_by_the_baseline(
    gitleaks: Path, repo: GitRepo, run_scan: RunScan, tmp_path: Path, case: str, history: str
) -> None:
    name, make = CASES[case]
    repo.commit("one", {name: make("before")})
    baseline = tmp_path / "bl.json"
    first = run_scan(
        "secrets", history, "--write-baseline", baseline, "--format", "json", cwd=repo.path
    )
    assert first.code == 0, first.out + first.err
    assert first.json()["findings"] == []  # accepted by the baseline just written
    written = baseline.read_text()
    assert '"entries": []' not in written  # located by its value, so it could be written
    if history == "--history":  # git mode scans patches: the whole new value in one added hunk
        repo.commit("remove", {name: None})
    repo.commit("rotate", {name: make("after")})
    again = run_scan("secrets", history, "--baseline", baseline, "--format", "json", cwd=repo.path)
    assert again.code == 1, again.out + again.err
    new = again.json()["findings"]
    assert len(new) == 1
    assert new[0]["properties"]["fingerprint_basis"] == "secret"
    assert fake_token("after") not in again.out


def fake_gitleaks(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text('#!/bin/sh\nif [ "$1" = version ]; then echo 8.30.1; exit 0; fi\n' + body)
    path.chmod(0o755)
    return path


@pytest.mark.parametrize(
    "body",
    [
        "exit 0\n",  # writes nothing: the pre-created report stays empty
        # removes the report
        'while [ "$1" != --report-path ]; do shift; done; rm -f "$2"; exit 0\n',
        'while [ "$1" != --report-path ]; do shift; done; printf "  \\n" > "$2"; exit 0\n',
    ],
)
def test_a_gitleaks_that_writes_no_report_is_a_tool_failure(
    repo: GitRepo, run_scan: RunScan, tmp_path: Path, body: str
) -> None:
    repo.commit("clean", {"a.py": "x = 1\n"})
    silent = fake_gitleaks(tmp_path, "gitleaks-silent", body)
    for mode in ("--history", "--no-history"):
        result = run_scan("secrets", mode, "--gitleaks", silent, cwd=repo.path)
        assert result.code == 3, result.out + result.err
        assert "gitleaks" in result.err and result.out == ""


def _alive(pid: int) -> bool:
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat_line.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead


def test_sigterm_removes_the_report_and_kills_gitleaks(repo: GitRepo, tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    repo.commit("clean", {"a.py": "x = 1\n"})
    seen = tmp_path / "seen"
    slow = fake_gitleaks(
        tmp_path,
        "gitleaks-slow",
        'while [ "$1" != --report-path ]; do shift; done\n'
        f'sleep 300 &\necho "$$ $! $2" > {seen}.tmp && mv {seen}.tmp {seen}\nwait\n',
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "chainkit", "scan", "secrets", "--gitleaks", str(slow)],
        cwd=repo.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not seen.exists():
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    shell, sleeper, report = seen.read_text().split()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "terminated" in err and out == ""
    assert not Path(report).exists() and not Path(report).parent.exists()
    deadline = time.monotonic() + 10
    while (_alive(int(shell)) or _alive(int(sleeper))) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(int(shell)) and not _alive(int(sleeper))


ALLOW = "gitleaks" + ":allow"  # never spelt whole in this repository


@pytest.mark.parametrize("history", ["--history", "--no-history"])
def test_suppressions_in_the_repository_are_said_in_every_format(
    gitleaks: Path, repo: GitRepo, run_scan: RunScan, history: str
) -> None:
    token = fake_token("allowed")
    repo.commit(
        "suppressions",
        {
            ".gitleaksignore": "# accepted\nabc123:a.py:generic-api-key:1\n",
            ".gitleaks.toml": '[extend]\nuseDefault = true\n[allowlist]\npaths = [".*"]\n',
            "a.py": f'api_token = "{token}"  # {ALLOW}\n',
            "b.py": f'api_key = "{fake_token("b")}"  # test fixture, not a key  # {ALLOW}\n',
        },
    )
    outs = {}
    for fmt in ("table", "markdown", "json", "sarif"):
        result = run_scan("secrets", history, "--format", fmt, cwd=repo.path)
        assert result.code == 1, result.out + result.err
        assert token not in result.out + result.err
        assert "matches everything" in result.err  # the warning
        outs[fmt] = result.out
    for fmt in ("table", "markdown"):
        assert ".gitleaksignore applied" in outs[fmt]
        assert ".gitleaks.toml" in outs[fmt] and "matches everything" in outs[fmt]
    import json

    data = json.loads(outs["json"])
    config = data["properties"]["configuration"]
    assert config["config"] == ".gitleaks.toml" and config["gitleaksignore"] == ".gitleaksignore"
    assert config["gitleaksignore_entries"] == 1 and len(config["warnings"]) == 1
    assert [(f["rule"], f["locations"][0]["path"]) for f in data["findings"]] == [
        ("gitleaks-allow-without-reason", "a.py")
    ]
    sarif = json.loads(outs["sarif"])
    assert sarif["runs"][0]["properties"]["configuration"] == config


def test_default_rules_are_named_as_such(gitleaks: Path, repo: GitRepo, run_scan: RunScan) -> None:
    repo.commit("clean", {"a.py": "x = 1\n"})
    result = run_scan("secrets", "--format", "json", cwd=repo.path)
    assert result.code == 0, result.err
    config = result.json()["properties"]["configuration"]
    assert config["config"] is None and config["rules"] == "gitleaks' default rules"
    assert config["gitleaksignore"] is None


@pytest.mark.parametrize("named", ["inside", "absolute", "dotdot", "symlink"])
def test_a_report_naming_a_file_outside_the_root_reads_nothing(
    repo: GitRepo, run_scan: RunScan, tmp_path: Path, named: str
) -> None:
    # files mode: chainkit reads the file a report names to find the secret again; a
    # report naming a file outside the scanned root (absolute, "..", a symlink) must not
    # make it read that file: the finding keeps a place fingerprint instead
    outside = tmp_path / "outside" / "secret.txt"
    outside.parent.mkdir()
    token = fake_token("outside")
    outside.write_text(f"api_key = {token}\n")
    repo.commit("clean", {"a.py": "x = 1\n", "inside.txt": outside.read_text()})
    if named == "symlink":
        (repo.path / "link.txt").symlink_to(outside)
    file = {
        "inside": "inside.txt",
        "absolute": str(outside),
        "dotdot": f"../{outside.parent.name}/secret.txt",
        "symlink": "link.txt",
    }[named]
    if named == "dotdot":  # ../outside/secret.txt from the root reaches the file
        (repo.path.parent / outside.parent.name).mkdir(exist_ok=True)
        (repo.path.parent / outside.parent.name / "secret.txt").write_text(outside.read_text())
    entry = json.dumps([{
        "RuleID": "generic-api-key", "File": file, "StartLine": 1, "EndLine": 1,
        "StartColumn": 1, "EndColumn": len(f"api_key = {token}"),
        "Match": "api_key = REDACTED", "Secret": "REDACTED", "Commit": "", "Entropy": 0,
    }])  # fmt: skip
    reporter = fake_gitleaks(
        tmp_path,
        "gitleaks-names",
        'while [ "$1" != --report-path ]; do shift; done\n'
        f"cat > \"$2\" <<'JSON'\n{entry}\nJSON\nexit 42\n",
    )
    result = run_scan(
        "secrets", "--no-history", "--gitleaks", reporter, "--format", "json", cwd=repo.path
    )
    assert result.code == 1, result.out + result.err
    found = result.json()["findings"]
    assert len(found) == 1
    expected = "secret" if named == "inside" else "place"
    assert found[0]["properties"]["fingerprint_basis"] == expected
    assert token not in result.out + result.err
