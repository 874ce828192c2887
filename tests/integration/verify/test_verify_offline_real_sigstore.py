"""``chainkit verify --offline`` against the real, production Sigstore (issue #10, item 17).

The bundle and the wheel under tests/assets/verify/rfc8785/ (see its SOURCE.md) were made by
trailofbits/rfc8785.py's GitHub release workflow on production Sigstore. With every socket
refused, ``chainkit verify FILE --offline`` verifies them with the trust root embedded in
sigstore-python (as ``sigstore verify identity --offline`` does), pins the identity, issuer and
source repository, and fails for a wrong identity, another source repository and tampered
bytes; without ``--offline`` the TUF refresh cannot happen and the run is a service failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from chainkit.cli import cli

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "verify" / "rfc8785"
WHEEL = ASSETS / "rfc8785-0.1.2-py3-none-any.whl"
BUNDLE = ASSETS / "rfc8785-0.1.2-py3-none-any.whl.sigstore.json"
IDENTITY = (
    "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
)
ISSUER = "https://token.actions.githubusercontent.com"
REPOSITORY = "trailofbits/rfc8785.py"
LOG_INDEX = 79605083


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every connection refused; sigstore-python's TUF directories in ``tmp_path``."""

    def refuse(self: socket.socket, address: Any) -> None:
        raise OSError(f"network disabled in this test (connect to {address!r})")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    for var in ("HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(var, str(tmp_path / "home" / var.lower()))


def verify(*args: str, identity: str = IDENTITY, repository: str = REPOSITORY) -> Result:
    env: dict[str, str | None] = {
        k: None for k in os.environ if k.startswith(("GITHUB_", "GH_", "CHAINKIT_", "ACTIONS_"))
    }
    return CliRunner().invoke(
        cli,
        [
            "verify", *args, "--cert-identity", identity, "--cert-oidc-issuer", ISSUER,
            "--source-repository", repository, "--json",
        ],
        env=env,
    )  # fmt: skip


def test_offline_verifies_a_real_production_bundle(no_network: None, tmp_path: Path) -> None:
    result = verify(str(WHEEL), "--offline")
    assert result.exit_code == 0, result.output
    # the embedded root is read from sigstore-python itself: no TUF cache read or written
    assert not (tmp_path / "home").exists()
    (row,) = json.loads(result.stdout)["bundles"]
    assert row["status"] == "verified"
    assert row["identity"] == IDENTITY
    assert row["source_repository_uri"] == f"https://github.com/{REPOSITORY}"
    assert row["log_index"] == LOG_INDEX


@pytest.mark.parametrize(
    ("identity", "repository", "reason"),
    [
        (IDENTITY.replace("v0.1.2", "v0.1.3"), REPOSITORY, "certificate identity"),
        (IDENTITY, "sigstore/sigstore-python", "source repository"),
    ],
    ids=["wrong-identity", "wrong-source-repository"],
)
def test_offline_refuses_another_signer(
    no_network: None, identity: str, repository: str, reason: str
) -> None:
    result = verify(str(WHEEL), "--offline", identity=identity, repository=repository)
    assert result.exit_code == 1, result.output
    (row,) = json.loads(result.stdout)["bundles"]
    assert row["status"] == "failed" and reason in row["reason"]


def test_offline_refuses_tampered_bytes(no_network: None, tmp_path: Path) -> None:
    wheel = tmp_path / WHEEL.name
    data = bytearray(WHEEL.read_bytes())
    data[len(data) // 2] ^= 0x01
    wheel.write_bytes(bytes(data))
    shutil.copyfile(BUNDLE, tmp_path / BUNDLE.name)
    result = verify(str(wheel), "--offline")
    assert result.exit_code == 1, result.output
    (row,) = json.loads(result.stdout)["bundles"]
    assert row["status"] == "failed" and "does not verify" in row["reason"]


def test_without_offline_no_network_is_a_service_failure_that_names_offline(
    no_network: None,
) -> None:
    result = verify(str(WHEEL))
    assert result.exit_code == 3, result.output
    assert "could not load the production Sigstore trust root" in result.stderr
    assert "--offline" in result.stderr


def test_the_real_sigstore_cli_accepts_the_same_bundle_offline(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGSTORE_",))}
    for var in ("HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        env[var] = str(tmp_path / var.lower())
    argv = [
        sys.executable, "-m", "sigstore", "verify", "identity", "--offline",
        "--bundle", str(BUNDLE), "--cert-identity", IDENTITY, "--cert-oidc-issuer", ISSUER,
        str(WHEEL),
    ]  # fmt: skip
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert f"OK: {WHEEL}" in done.stderr + done.stdout
