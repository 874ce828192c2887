"""Baselines for ``scan secrets`` (accepted, new, line shifts, rotation, stale), and
gitleaks missing, of the wrong version or failing: exit 3, never a silent pass, no leak."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from integration.scan.conftest import GitRepo, RunScan, fake_aws_key, fake_token

FORMATS = ("table", "json", "sarif", "markdown")


def settings(token: str, *, above: int = 0) -> str:
    return "# padding\n" * above + f'api_token = "{token}"\nDEBUG = False\n'


def test_baseline_accepts_reports_new_survives_shifts_and_lists_stale(
    gitleaks: Path, repo: GitRepo, run_scan: RunScan, tmp_path: Path
) -> None:
    accepted = fake_token("accepted")
    repo.commit("one", {"settings.py": settings(accepted)})
    baseline = tmp_path / "secrets-baseline.json"
    first = run_scan("secrets", "--no-history", "--write-baseline", baseline, cwd=repo.path)
    assert first.code == 0, first.err
    doc = json.loads(baseline.read_text())
    assert doc["scanner"] == "secrets" and len(doc["entries"]) == 1

    # accepted
    again = run_scan(
        "secrets", "--no-history", "--baseline", baseline, "--format", "json", cwd=repo.path
    )
    assert again.code == 0, again.err
    assert again.json()["properties"]["baseline"]["accepted"] == 1

    # a line shift above the accepted secret does not resurrect it
    repo.write("settings.py", settings(accepted, above=7))
    shifted = run_scan("secrets", "--no-history", "--baseline", baseline, cwd=repo.path)
    assert shifted.code == 0, shifted.out

    # a new secret elsewhere is reported, alone
    new_key = fake_aws_key("new")
    repo.write("cloud.py", f'aws_access_key_id = "{new_key}"\n')
    fresh = run_scan(
        "secrets", "--no-history", "--baseline", baseline, "--format", "json", cwd=repo.path
    )
    assert fresh.code == 1
    assert [f["rule"] for f in fresh.json()["findings"]] == ["aws-access-token"]

    # a rotated (different) secret in the same place is new, not accepted
    rotated = fake_token("rotated")
    repo.write("cloud.py", "x = 1\n")
    repo.write("settings.py", settings(rotated, above=7))
    rot = run_scan(
        "secrets", "--no-history", "--baseline", baseline, "--format", "json", cwd=repo.path
    )
    assert rot.code == 1
    assert [f["rule"] for f in rot.json()["findings"]] == ["generic-api-key"]

    # fixed: the entry is stale, listed in every format, and the run is clean
    repo.write("settings.py", "api_token = os.environ['API_TOKEN']\n")
    fingerprint = doc["entries"][0]["fingerprint"]
    for fmt in FORMATS:
        stale = run_scan(
            "secrets", "--no-history", "--baseline", baseline, "--format", fmt, cwd=repo.path
        )
        assert stale.code == 0, stale.err
        assert fingerprint[:16] in stale.out, fmt
        assert "stale" in stale.err.lower()
    for text in (baseline.read_text(),):
        for secret in (accepted, rotated, new_key):
            assert secret not in text


def test_history_findings_are_one_per_secret_across_commits(
    gitleaks: Path, repo: GitRepo, run_scan: RunScan
) -> None:
    token = fake_token("twice")
    repo.commit("add", {"a.py": settings(token)})
    repo.commit("drop", {"a.py": "x = 1\n"})
    repo.commit("again", {"a.py": settings(token, above=3)})
    result = run_scan("secrets", "--history", "--format", "json", cwd=repo.path)
    assert result.code == 1
    (finding,) = result.json()["findings"]
    assert len(finding["properties"]["commits"]) == 2


def test_a_hostile_baseline_is_bad_input(
    gitleaks: Path, repo: GitRepo, run_scan: RunScan, tmp_path: Path
) -> None:
    repo.commit("clean", {"a.py": "x = 1\n"})
    cases = {
        "notjson": "{",
        "wrongkind": json.dumps(
            {"format": "chainkit-scan-baseline", "version": 1, "scanner": "code", "entries": []}
        ),
        "extra": json.dumps(
            {
                "format": "chainkit-scan-baseline",
                "version": 1,
                "scanner": "secrets",
                "entries": [],
                "secret": "x",
            }
        ),
        "badfp": json.dumps(
            {
                "format": "chainkit-scan-baseline",
                "version": 1,
                "scanner": "secrets",
                "entries": [{"fingerprint": "zz", "rule": "r", "path": "p", "reason": ""}],
            }
        ),
    }
    for name, text in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text(text)
        result = run_scan("secrets", "--baseline", path, cwd=repo.path)
        assert result.code == 2, (name, result.err)
        assert "baseline" in result.err
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "elsewhere.json")
    written = run_scan("secrets", "--write-baseline", link, cwd=repo.path)
    assert written.code == 0, written.err
    # never written through the link: the link itself is replaced, its target not created
    assert not (tmp_path / "elsewhere.json").exists()
    assert not link.is_symlink() and link.is_file()


def fake_tool(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_gitleaks_missing_wrong_or_failing_is_exit_3(
    repo: GitRepo, run_scan: RunScan, tmp_path: Path
) -> None:
    token = fake_token("failing")
    repo.commit("clean", {"a.py": "x = 1\n"})
    nowhere = tmp_path / "nowhere"
    nowhere.mkdir()
    missing = run_scan(
        "secrets", cwd=repo.path, env={"PATH": str(nowhere), "CHAINKIT_GITLEAKS": ""}
    )
    assert missing.code == 3, missing.err
    assert "gitleaks is not installed" in missing.err and "docs/scan.md" in missing.err

    absent = run_scan("secrets", "--gitleaks", tmp_path / "no-such-gitleaks", cwd=repo.path)
    assert absent.code == 3 and "not an executable file" in absent.err

    old = fake_tool(tmp_path, "gitleaks7", 'echo "v7.6.1"\n')
    wrong = run_scan("secrets", cwd=repo.path, env={"CHAINKIT_GITLEAKS": str(old)})
    assert wrong.code == 3 and "needs gitleaks 8.x" in wrong.err

    failing = fake_tool(
        tmp_path,
        "gitleaks-fails",
        f'if [ "$1" = version ]; then echo 8.30.1; exit 0; fi\n'
        f'echo "FTL match {token}" >&2\nexit 1\n',
    )
    failed = run_scan("secrets", "--gitleaks", failing, cwd=repo.path)
    assert failed.code == 3, failed.err
    assert "gitleaks failed (exit 1)" in failed.err
    assert token not in failed.err and token not in failed.out

    unknown = fake_tool(
        tmp_path, "gitleaks-odd", 'if [ "$1" = version ]; then echo 8.1.0; exit 0; fi\nexit 126\n'
    )
    odd = run_scan("secrets", "--gitleaks", unknown, cwd=repo.path)
    assert odd.code == 3 and "exit 126" in odd.err


def test_a_path_that_looks_like_an_option_is_refused(repo: GitRepo, run_scan: RunScan) -> None:
    result = run_scan("secrets", "--", "-rf", cwd=repo.path)
    assert result.code == 2
    assert "looks like an option" in result.err


def test_a_gitleaks_planted_in_the_repository_is_not_found_through_a_relative_path(
    repo: GitRepo, run_scan: RunScan, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    fake_tool(repo.path, "gitleaks", f'touch "{marker}"\necho 8.30.1\n')
    nowhere = tmp_path / "nowhere"
    nowhere.mkdir()
    path = os.pathsep.join([".", "", str(nowhere)])
    result = run_scan("secrets", cwd=repo.path, env={"PATH": path, "CHAINKIT_GITLEAKS": ""})
    assert result.code == 3, result.err
    assert "not installed" in result.err
    assert not marker.exists()


def test_a_bad_baseline_is_refused_before_anything_runs(
    repo: GitRepo, run_scan: RunScan, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    missing_tool = tmp_path / "no-such-gitleaks"
    result = run_scan("secrets", "--gitleaks", missing_tool, "--baseline", bad, cwd=repo.path)
    assert result.code == 2, result.err  # the baseline, not the missing tool (exit 3)
    assert "baseline" in result.err
