"""``chainkit scan secrets`` end to end with the real gitleaks 8 on planted repositories.

The planted secret values must appear in none of: stdout, stderr, any --format output,
the baseline, the step summary, error messages.
"""

from __future__ import annotations

import json
from pathlib import Path

from integration.scan.conftest import (
    GitRepo,
    RunScan,
    fake_aws_key,
    fake_token,
    validate_sarif,
)

FORMATS = ("table", "json", "sarif", "markdown")


def planted_file(seed: str) -> tuple[str, list[str]]:
    key, token = fake_aws_key(seed), fake_token(seed)
    text = f'"""Settings."""\naws_access_key_id = "{key}"\napi_token = "{token}"\nDEBUG = False\n'
    return text, [key, token]


def assert_absent(secrets: list[str], *texts: str) -> None:
    for secret in secrets:
        for probe in (secret, secret[4:], secret[:-4]):
            for text in texts:
                assert probe not in text


def rules(result_json: dict[str, object]) -> list[str]:
    findings = result_json["findings"]
    assert isinstance(findings, list)
    return sorted(f["rule"] for f in findings)


def test_planted_secrets_are_found_and_never_printed(
    gitleaks: Path, repo: GitRepo, run_scan: RunScan, tmp_path: Path
) -> None:
    text, secrets = planted_file("committed")
    repo.commit("settings", {"app/settings.py": text, "app/clean.py": "x = 1\n"})
    summary = tmp_path / "summary.md"
    seen: list[str] = []
    for fmt in FORMATS:
        out = tmp_path / f"report.{fmt}"
        result = run_scan(
            "secrets",
            "--history",
            "--format",
            fmt,
            "-o",
            out,
            "--summary",
            cwd=repo.path,
            env={"GITHUB_STEP_SUMMARY": str(summary)},
        )
        assert result.code == 1, result.err
        assert result.out == ""
        seen += [result.err, out.read_text()]
        stdout_run = run_scan("secrets", "--history", "--format", fmt, cwd=repo.path)
        assert stdout_run.code == 1
        seen += [stdout_run.out, stdout_run.err]
    baseline = tmp_path / "baseline.json"
    written = run_scan("secrets", "--write-baseline", baseline, "--format", "json", cwd=repo.path)
    assert written.code == 0, written.err
    seen += [written.out, written.err, baseline.read_text(), summary.read_text()]
    assert_absent(secrets, *seen)

    report = json.loads((tmp_path / "report.json").read_text())
    assert rules(report) == ["aws-access-token", "generic-api-key"]
    paths = {f["locations"][0]["path"] for f in report["findings"]}
    assert paths == {"app/settings.py"}
    assert all(f["properties"]["fingerprint_basis"] == "secret" for f in report["findings"])
    assert "REDACTED" not in json.dumps(report)  # not even gitleaks' placeholder leaks out
    lines = sorted(f["locations"][0]["line"] for f in report["findings"])
    assert lines == [2, 3]
    md = (tmp_path / "report.markdown").read_text()
    assert "aws-access-token" in md and "app/settings.py" in md
    entries = json.loads(baseline.read_text())["entries"]
    assert sorted(e["rule"] for e in entries) == ["aws-access-token", "generic-api-key"]


def test_sarif_validates_and_tracks_by_partial_fingerprints(
    gitleaks: Path, repo: GitRepo, run_scan: RunScan
) -> None:
    text, _ = planted_file("sarif")
    repo.commit("settings", {"settings.py": text})
    result = run_scan("secrets", "--format", "sarif", cwd=repo.path)
    assert result.code == 1
    sarif = json.loads(result.out)
    validate_sarif(sarif)
    (run,) = sarif["runs"]
    assert run["tool"]["driver"]["name"] == "gitleaks"
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {
        "aws-access-token",
        "generic-api-key",
    }
    for res in run["results"]:
        fp = res["partialFingerprints"]["chainkitScanSecrets/v1"]
        assert len(fp) == 64
        region = res["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] in (2, 3)
        assert len(res["properties"]["commits"]) == 1


def test_a_removed_token_is_found_in_the_history_only(
    gitleaks: Path, repo: GitRepo, run_scan: RunScan
) -> None:
    token = fake_token("removed")
    repo.commit("add", {"deploy.py": f'api_token = "{token}"\n'})
    repo.commit("remove", {"deploy.py": "api_token = os.environ['API_TOKEN']\n"})
    history = run_scan("secrets", "--history", "--format", "json", cwd=repo.path)
    assert history.code == 1, history.err
    assert rules(history.json()) == ["generic-api-key"]
    files = run_scan("secrets", "--no-history", "--format", "json", cwd=repo.path)
    assert files.code == 0, files.err
    assert files.json()["findings"] == []
    assert_absent([token], history.out, history.err, files.out, files.err)


def test_a_clean_repository_has_no_findings(
    gitleaks: Path, repo: GitRepo, run_scan: RunScan
) -> None:
    repo.commit("clean", {"clean.py": "def add(a, b):\n    return a + b\n"})
    for mode in ("--history", "--no-history"):
        result = run_scan("secrets", mode, cwd=repo.path)
        assert result.code == 0, result.err
        assert "No findings." in result.out


def test_the_repository_gitleaks_toml_is_used(
    gitleaks: Path, repo: GitRepo, run_scan: RunScan
) -> None:
    text, _ = planted_file("config")
    config = (
        "[extend]\nuseDefault = true\n"
        "[[allowlists]]\ndescription = \"fixtures\"\npaths = ['''^fixtures/''']\n"
    )
    repo.commit("fixture", {"fixtures/settings.py": text, ".gitleaks.toml": config})
    result = run_scan("secrets", cwd=repo.path)
    assert result.code == 0, result.err
    assert ".gitleaks.toml" in result.out


def test_history_needs_a_repository(gitleaks: Path, tmp_path: Path, run_scan: RunScan) -> None:
    result = run_scan("secrets", "--history", cwd=tmp_path)
    assert result.code == 2
    assert "not the root of a git repository" in result.err


def test_a_shallow_clone_is_said(
    gitleaks: Path, repo: GitRepo, run_scan: RunScan, tmp_path: Path
) -> None:
    repo.commit("one", {"a.py": "x = 1\n"})
    repo.commit("two", {"a.py": "x = 2\n"})
    clone = tmp_path / "shallow"
    repo.git("clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone))
    result = run_scan("secrets", "--format", "json", cwd=clone)
    assert result.code == 0, result.err
    assert result.json()["properties"]["shallow"] is True
    assert "shallow clone" in result.err
    full = run_scan("secrets", "--format", "json", cwd=repo.path)
    assert full.json()["properties"]["shallow"] is False


def test_a_multi_line_private_key_is_fingerprinted_by_its_value(
    gitleaks: Path, repo: GitRepo, run_scan: RunScan
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.derive_private_key(0xC0FFEE, ec.SECP256R1())  # deterministic, and fake
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    repo.commit("key", {"deploy/key.py": f'x = 1\nKEY = """{pem}"""\n'})
    result = run_scan("secrets", "--format", "json", cwd=repo.path)
    assert result.code == 1, result.err
    (finding,) = result.json()["findings"]
    assert finding["rule"] == "private-key"
    assert finding["properties"]["fingerprint_basis"] == "secret"
    body = [line for line in pem.splitlines() if "-----" not in line]
    assert_absent(body, result.out, result.err)
