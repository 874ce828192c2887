"""``chainkit scan code`` end to end with bandit: planted patterns, configuration, ``# nosec``,
thresholds, unparsable files, baselines and SARIF."""

from __future__ import annotations

import json
from pathlib import Path

from integration.scan.conftest import RunScan, validate_sarif

DANGEROUS = (
    "import subprocess\n"
    "import yaml\n"
    "\n"
    "\n"
    "def run(cmd):\n"
    "    return subprocess.call(cmd, shell=True)\n"
    "\n"
    "\n"
    "def load(data):\n"
    "    return yaml.load(data)\n"
)
CLEAN = "def add(a, b):\n    return a + b\n"


def project(tmp_path: Path, files: dict[str, str], pyproject: str = "") -> Path:
    root = tmp_path / "proj"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    if pyproject:
        (root / "pyproject.toml").write_text(pyproject)
    return root


def found(result_json: dict[str, object]) -> list[tuple[str, str, int]]:
    findings = result_json["findings"]
    assert isinstance(findings, list)
    return sorted(
        (f["rule"], f["locations"][0]["path"], f["locations"][0].get("line", 0)) for f in findings
    )


def test_planted_patterns_are_found_and_a_clean_file_is_not(
    tmp_path: Path, run_scan: RunScan
) -> None:
    root = project(tmp_path, {"app/danger.py": DANGEROUS, "app/clean.py": CLEAN})
    result = run_scan("code", "--format", "json", cwd=root)
    assert result.code == 1, result.err
    rules = {r for r, _, _ in found(result.json())}
    assert {("B602", "app/danger.py", 6), ("B506", "app/danger.py", 10)} <= set(
        found(result.json())
    )
    assert all(path == "app/danger.py" for _, path, _ in found(result.json()))
    assert "B602" in rules
    clean = run_scan("code", "app/clean.py", cwd=root)
    assert clean.code == 0, clean.err
    assert "No findings." in clean.out


def test_thresholds(tmp_path: Path, run_scan: RunScan) -> None:
    root = project(tmp_path, {"danger.py": DANGEROUS})
    high = run_scan("code", "--severity", "high", "--format", "json", cwd=root)
    assert high.code == 1
    assert [r for r, _, _ in found(high.json())] == ["B602"]  # B506 is medium, B404 low
    assert high.json()["properties"]["below_threshold"] == 2
    conf = run_scan("code", "--confidence", "high", "--format", "json", cwd=root)
    assert {r for r, _, _ in found(conf.json())} >= {"B602", "B506"}


def test_project_configuration_and_nosec_are_honoured(tmp_path: Path, run_scan: RunScan) -> None:
    nosec = DANGEROUS.replace(
        "shell=True)\n", "shell=True)  # trusted fixed command  # nosec B602\n"
    )
    root = project(
        tmp_path,
        {"danger.py": nosec, "vendored/old.py": DANGEROUS},
        pyproject='[tool.bandit]\nexclude_dirs = ["vendored"]\nskips = ["B404"]\n',
    )
    result = run_scan("code", "--format", "json", cwd=root)
    assert result.code == 1
    assert [r for r, _, _ in found(result.json())] == ["B506"]
    assert result.json()["properties"]["configuration"] == ["pyproject.toml [tool.bandit]"]


def test_dot_bandit_is_honoured(tmp_path: Path, run_scan: RunScan) -> None:
    root = project(tmp_path, {"danger.py": DANGEROUS})
    (root / ".bandit").write_text("[bandit]\nskips = B404,B506\n")
    result = run_scan("code", "--format", "json", cwd=root)
    assert [r for r, _, _ in found(result.json())] == ["B602"]


def test_a_nosec_without_a_reason_is_a_finding(tmp_path: Path, run_scan: RunScan) -> None:
    bare = DANGEROUS.replace("shell=True)\n", "shell=True)  # nosec B602\n")
    bare = bare.replace("yaml.load(data)\n", "yaml.load(data)  # nosec\n")
    reasoned = DANGEROUS.replace(
        "shell=True)\n", "shell=True)  # noqa: S602 - a fixed command  # nosec B602\n"
    )
    root = project(tmp_path, {"bare.py": bare, "reasoned.py": reasoned})
    result = run_scan("code", "--format", "json", cwd=root)
    assert result.code == 1
    rules = [(r, p, line) for r, p, line in found(result.json()) if r != "B404"]
    assert rules == [
        ("B506", "reasoned.py", 10),
        ("nosec-without-reason", "bare.py", 6),
        ("nosec-without-reason", "bare.py", 10),
    ]
    high = run_scan("code", "--severity", "medium", "--format", "json", cwd=root)
    assert [r for r, _, _ in found(high.json())] == ["B506"]


def test_an_unparsable_file_is_reported_not_dropped(tmp_path: Path, run_scan: RunScan) -> None:
    root = project(tmp_path, {"broken.py": "def (:\n", "clean.py": CLEAN})
    result = run_scan("code", "--format", "json", cwd=root)
    assert result.code == 1, result.err
    assert found(result.json()) == [("scan-error", "broken.py", 0)]


def test_baseline_accepts_reports_new_survives_shifts_and_lists_stale(
    tmp_path: Path, run_scan: RunScan
) -> None:
    root = project(tmp_path, {"danger.py": DANGEROUS})
    baseline = tmp_path / "code-baseline.json"
    written = run_scan("code", "--write-baseline", baseline, cwd=root)
    assert written.code == 0, written.err
    entries = json.loads(baseline.read_text())["entries"]
    assert {e["rule"] for e in entries} == {"B404", "B602", "B506"}
    assert all(e["path"] == "danger.py" for e in entries)

    accepted = run_scan("code", "--baseline", baseline, "--format", "json", cwd=root)
    assert accepted.code == 0, accepted.out
    assert accepted.json()["properties"]["baseline"]["accepted"] == 3

    # a line shift above, and an unrelated edit, do not resurrect accepted findings
    shifted = "# header\n\n\n" + DANGEROUS.replace("def load(data):", "def load(data):  # edited")
    (root / "danger.py").write_text(shifted)
    again = run_scan("code", "--baseline", baseline, cwd=root)
    assert again.code == 0, again.out

    # a second, identical call in the same file is new (occurrence index)
    (root / "danger.py").write_text(
        shifted + "\n\ndef run2(cmd):\n    return subprocess.call(cmd, shell=True)\n"
    )
    new = run_scan("code", "--baseline", baseline, "--format", "json", cwd=root)
    assert new.code == 1
    assert [r for r, _, _ in found(new.json())] == ["B602"]

    # fixed: the yaml.load entry is stale, listed in every format
    (root / "danger.py").write_text(shifted.replace("yaml.load(data)", "yaml.safe_load(data)"))
    stale_fp = next(e["fingerprint"] for e in entries if e["rule"] == "B506")
    for fmt in ("table", "json", "sarif", "markdown"):
        stale = run_scan("code", "--baseline", baseline, "--format", fmt, cwd=root)
        assert stale.code == 0, stale.out
        assert stale_fp[:16] in stale.out, fmt


def test_sarif_validates_with_rule_metadata_and_fingerprints(
    tmp_path: Path, run_scan: RunScan
) -> None:
    root = project(tmp_path, {"danger.py": DANGEROUS})
    result = run_scan("code", "--format", "sarif", cwd=root)
    assert result.code == 1
    sarif = json.loads(result.out)
    validate_sarif(sarif)
    (run,) = sarif["runs"]
    assert run["tool"]["driver"]["name"] == "bandit"
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["B602"]["helpUri"].startswith("https://bandit.readthedocs.io/")
    for res in run["results"]:
        assert len(res["partialFingerprints"]["chainkitScanCode/v1"]) == 64
        assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "danger.py"


def test_bad_inputs_are_exit_2(tmp_path: Path, run_scan: RunScan) -> None:
    root = project(tmp_path, {"clean.py": CLEAN})
    assert run_scan("code", "missing.py", cwd=root).code == 2
    flag = run_scan("code", "--", "-x", cwd=root)
    assert flag.code == 2 and "looks like an option" in flag.err
    (root / "pyproject.toml").write_text("[tool.bandit\n")
    broken = run_scan("code", cwd=root)
    assert broken.code == 2 and "pyproject.toml" in broken.err


def test_code_planted_in_the_scanned_directory_is_never_run(
    tmp_path: Path, run_scan: RunScan
) -> None:
    marker = tmp_path / "ran"
    planted = f"from pathlib import Path\nPath({str(marker)!r}).write_text('pwned')\n"
    root = project(tmp_path, {"bandit.py": planted, "bandit/__init__.py": planted, "gitleaks": ""})
    result = run_scan("code", "--format", "json", cwd=root, env={"PYTHONPATH": str(root)})
    assert result.code in (0, 1), result.err
    assert not marker.exists()
    assert result.json()["tool"]["name"] == "bandit"
