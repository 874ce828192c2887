"""``-o FILE`` writes where the user points: a pipe or ``/dev/stdout`` is written to, a planted
symlink to a regular file is replaced instead of written through."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "audit"


def _audit(tmp_path: Path, *out: str) -> subprocess.CompletedProcess[str]:
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("requests==2.0.0\n")
    argv = [
        sys.executable, "-m", "chainkit", "audit", "-r", str(reqs),
        "--advisory-db", str(ASSETS / "osv"), "--format", "json", "--fail-on", "critical", *out,
    ]  # fmt: skip
    return subprocess.run(
        argv, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )


def test_dev_stdout_is_written_to(tmp_path: Path) -> None:
    done = _audit(tmp_path, "-o", "/dev/stdout")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["summary"]["packages"] == 1


def test_a_planted_symlink_is_replaced_not_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "bashrc"
    victim.write_text("precious")
    (tmp_path / "report.json").symlink_to(victim)
    done = _audit(tmp_path, "-o", "report.json")
    assert done.returncode == 0, done.stderr
    assert victim.read_text() == "precious"
    assert json.loads((tmp_path / "report.json").read_text())["summary"]["packages"] == 1
