"""``chainkit scan code`` against hostile repositories: secrets quoted by bandit, a
``.bandit`` that would configure bandit's own baseline or output, nothing scanned, symlinks
out of the tree, and paths outside the current directory."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

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


def test_quoted_code_in_any_bandit_message_is_redacted(tmp_path: Path, run_scan: RunScan) -> None:
    marker = "tmpdir-marker-7f3a"
    root = _project(tmp_path, {"t.py": f'f = open("/tmp/{marker}", "w")\n'})
    result = run_scan("code", "--format", "json", cwd=root)
    assert result.code == 1, result.err
    data = result.json()
    assert {f["rule"] for f in data["findings"]} == {"B108"}
    assert marker not in result.out
