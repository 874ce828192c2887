"""``chainkit scan code`` against hostile repositories: secrets quoted by bandit, a
``.bandit`` that would configure bandit's own baseline or output, nothing scanned, symlinks
out of the tree, and paths outside the current directory."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from chainkit.findings import fingerprint
from chainkit.scan._common import snippet_digest
from integration.scan.conftest import RunScan, validate_sarif

WEAK = "hunter2hunter2"  # a dictionary password (bandit B105/B106/B107), not a real secret
PASSWORDS = (
    f'password = "{WEAK}"\n'
    "\n"
    "\n"
    f'def login(user, password="{WEAK}"):\n'
    "    return user\n"
    "\n"
    "\n"
    f'login("me", password="{WEAK}")\n'
)


def _project(tmp_path: Path, files: dict[str, str], name: str = "proj") -> Path:
    root = tmp_path / name
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_hardcoded_passwords_never_reach_any_output_and_their_fingerprints_are_slow(
    tmp_path: Path, run_scan: RunScan
) -> None:
    root = _project(tmp_path, {"app.py": PASSWORDS})
    outputs = {}
    for fmt in ("json", "sarif", "markdown", "table"):
        result = run_scan("code", "--format", fmt, cwd=root)
        assert result.code == 1, result.err
        outputs[fmt] = result.out + result.err
        assert WEAK not in outputs[fmt], fmt
    data = json.loads(run_scan("code", "--format", "json", cwd=root).out)
    rules = {f["rule"] for f in data["findings"]}
    assert {"B105", "B106", "B107"} <= rules
    sarif = json.loads(run_scan("code", "--format", "sarif", cwd=root).out)
    validate_sarif(sarif)
    for rule in sarif["runs"][0]["tool"]["driver"]["rules"]:
        # static text per test: never a result's issue_text ("Possible hardcoded password: ...")
        assert rule["fullDescription"]["text"].startswith(f"bandit test {rule['id']} (")
        assert "Possible hardcoded" not in json.dumps(rule)
    # the plain SHA-256 fingerprint of the line (guessable with a dictionary) is not used
    line = f'password = "{WEAK}"'
    guessable = fingerprint("B105", "app.py", snippet_digest([line]), "0")
    fps = {f["fingerprint"] for f in data["findings"]}
    assert guessable not in fps
    assert hashlib.sha256(WEAK.encode()).hexdigest() not in json.dumps(data)
    # stable across runs and line shifts: a baseline still accepts them
    base = root / "bl.json"
    assert run_scan("code", "--write-baseline", base, cwd=root).code == 0
    (root / "app.py").write_text("\n\n# moved\n" + PASSWORDS)
    again = run_scan("code", "--baseline", base, "--format", "json", cwd=root)
    assert again.code == 0, again.out + again.err
    assert WEAK not in base.read_text()


DANGER = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"


@pytest.mark.parametrize(
    "ini",
    [
        "[bandit]\nbaseline = bl.json\n",
        "[bandit]\nignore-nosec = true\n",
        "[bandit]\noutput = /dev/null\n",
        "[bandit]\nformat = csv\n",
        "[bandit]\ntargets = nothing\n",
        "[bandit]\nlevel = HIGH\n",
    ],
)
def test_a_dot_bandit_cannot_switch_reporting_off(
    tmp_path: Path, run_scan: RunScan, ini: str
) -> None:
    root = _project(tmp_path, {"app.py": DANGER, ".bandit": ini})
    # a bandit baseline that would hide the finding, were it honoured
    run_scan("code", cwd=root)
    (root / "bl.json").write_text(json.dumps({"results": []}))
    result = run_scan("code", "--format", "json", cwd=root)
    assert result.code == 2, result.out + result.err
    key = ini.split("\n")[1].split(" =")[0]
    assert f"bandit option {key!r} is not accepted" in result.err


def test_a_nested_dot_bandit_is_not_discovered_and_the_applied_config_is_reported(
    tmp_path: Path, run_scan: RunScan
) -> None:
    root = _project(
        tmp_path,
        {
            "pkg/app.py": DANGER,
            "pkg/.bandit": "[bandit]\nskips = B602,B404\n",
            ".bandit": "[bandit]\nexclude = ./vendor\ntests = B602,B404\n",
            "vendor/v.py": DANGER,
        },
    )
    result = run_scan("code", "--format", "json", cwd=root)
    assert result.code == 1, result.err
    props = result.json()["properties"]
    assert {f["rule"] for f in result.json()["findings"]} == {"B602", "B404"}
    assert props["configuration"] == [".bandit"]
    assert props["applied_configuration"]["exclude"] == ["./vendor"]
    assert props["applied_configuration"]["tests"] == ["B602", "B404"]
    assert props["files_scanned"] == 1
    for fmt in ("table", "markdown"):
        out = run_scan("code", "--format", fmt, cwd=root).out
        assert "scanned" in out and "B602, B404" in out
    sarif = json.loads(run_scan("code", "--format", "sarif", cwd=root).out)
    assert sarif["runs"][0]["properties"]["files_scanned"] == 1


@pytest.mark.parametrize(
    ("files", "args"),
    [
        ({"app.py": DANGER, "pyproject.toml": '[tool.bandit]\nexclude_dirs = ["."]\n'}, ()),
        ({"app.py": DANGER, ".bandit": "[bandit]\nexclude = app.py\n"}, ()),
        ({"README.md": "# no python here\n"}, ()),
        ({"docs/x.txt": "x\n", "app.py": DANGER}, ("docs",)),
    ],
)
def test_nothing_scanned_is_an_error_never_a_pass(
    tmp_path: Path, run_scan: RunScan, files: dict[str, str], args: tuple[str, ...]
) -> None:
    root = _project(tmp_path, files)
    for fmt in ("table", "json", "sarif"):
        result = run_scan("code", *args, "--format", fmt, cwd=root)
        assert result.code == 2, result.out + result.err
        assert "nothing to scan" in result.err
        assert result.out == ""


def test_symlinks_are_never_followed_and_are_reported(tmp_path: Path, run_scan: RunScan) -> None:
    outside = _project(tmp_path, {"evil.py": DANGER}, name="outside")
    root = _project(tmp_path, {"app.py": "x = 1  # nosec\n"})
    (root / "link.py").symlink_to(outside / "evil.py")
    (root / "linkdir").symlink_to(outside)
    (root / "passwd.py").symlink_to("/etc/passwd")
    result = run_scan("code", "--format", "json", cwd=root)
    data = result.json()
    assert {f["locations"][0]["path"] for f in data["findings"]} == {"app.py"}, result.out
    assert data["properties"]["files_scanned"] == 1
    assert sorted(data["properties"]["skipped_symlinks"]) == [
        "./link.py",
        "./linkdir",
        "./passwd.py",
    ]
    assert "root:" not in result.out + result.err
    # a symlink named on the command line is not followed either
    only = run_scan("code", "link.py", cwd=root)
    assert only.code == 2 and "nothing to scan" in only.err


def test_nosec_findings_never_read_through_a_symlink(tmp_path: Path) -> None:
    from chainkit.scan._bandit import nosec_findings

    outside = _project(tmp_path, {"o.py": "x = 1  # nosec\n"}, name="outside")
    root = _project(tmp_path, {"a.py": "y = 2\n"})
    (root / "l.py").symlink_to(outside / "o.py")
    assert nosec_findings(["l.py"], root=root) == []
    assert len(nosec_findings(["../outside/o.py"], root=root)) == 0


def test_pyproject_bandit_keys_are_vetted_too(tmp_path: Path, run_scan: RunScan) -> None:
    root = _project(
        tmp_path,
        {"app.py": DANGER, "pyproject.toml": '[tool.bandit]\nbaseline = "bl.json"\n'},
    )
    result = run_scan("code", cwd=root)
    assert result.code == 2 and "'baseline' is not accepted" in result.err


def test_paths_outside_the_current_directory_are_reported_relative_to_the_scanned_root(
    tmp_path: Path, run_scan: RunScan
) -> None:
    root = _project(tmp_path, {"app/danger.py": DANGER}, name="other")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    inside = json.loads(run_scan("code", "--format", "sarif", cwd=root).out)
    for arg in (root, Path("..") / "other"):
        result = run_scan("code", arg, "--format", "sarif", cwd=elsewhere)
        assert result.code == 1, result.err
        sarif = json.loads(result.out)
        validate_sarif(sarif)
        uris = {
            loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"]
            for loc in r["locations"]
        }
        assert uris == {"app/danger.py"}
        assert str(tmp_path) not in result.out and "../" not in result.out
        fps = [r["partialFingerprints"] for r in sarif["runs"][0]["results"]]
        assert fps == [r["partialFingerprints"] for r in inside["runs"][0]["results"]]
    # a baseline written from elsewhere is the one written inside
    base_out, base_in = tmp_path / "out.json", tmp_path / "in.json"
    run_scan("code", root, "--write-baseline", base_out, cwd=elsewhere)
    run_scan("code", "--write-baseline", base_in, cwd=root)
    assert base_out.read_text() == base_in.read_text()
    two = run_scan("code", root, elsewhere, cwd=tmp_path / "elsewhere")
    assert two.code == 2 and "outside the current directory" in two.err
