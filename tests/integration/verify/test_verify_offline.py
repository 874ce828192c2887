"""``chainkit verify --offline``: production Sigstore's trust root as embedded in sigstore-python,
without TUF, network or the home cache (issue #10, item 17).

With every socket refused, ``--offline`` reaches verification: a bundle is judged against the
embedded production root (a sandbox-signed bundle is refused by it, exit 1, naming the bundle),
nothing under ``$HOME`` is read or written; without ``--offline`` the TUF refresh cannot happen,
the run is a service failure (exit 3) whose hint names ``--offline``.

A test on a real production bundle with its artifact is still missing: none can be obtained
here in a form this repository may commit (see the issue's closing note).
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from _plugins.sigstore import workflow_identity
from chainkit.cli import cli

ISSUER = "https://token.actions.githubusercontent.com"


@pytest.fixture
def no_network(signed: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Every connection refused (after ``signed`` was signed through the sandbox);
    sigstore-python's TUF directories under ``tmp_path/home``."""

    def refuse(self: socket.socket, address: Any) -> None:
        raise OSError(f"network disabled in this test (connect to {address!r})")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    home = tmp_path / "home"
    for var in ("HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    return home


@pytest.fixture
def signed(sigstore_sandbox: Any, tmp_path: Path) -> Path:
    artifact = tmp_path / "widgets-1.0.0.tar.gz"
    artifact.write_bytes(b"payload")
    with sigstore_sandbox.signing_context().signer(sigstore_sandbox.identity()) as signer:
        bundle = signer.sign_artifact(b"payload")
    (tmp_path / (artifact.name + ".sigstore.json")).write_text(bundle.to_json())
    return artifact


def verify(*args: str) -> Result:
    env: dict[str, str | None] = {
        k: None for k in os.environ if k.startswith(("GITHUB_", "GH_", "CHAINKIT_", "ACTIONS_"))
    }
    return CliRunner().invoke(
        cli,
        [
            "verify", *args, "--cert-identity", workflow_identity(), "--cert-oidc-issuer", ISSUER,
            "--source-repository", "acme/widgets", "--json",
        ],
        env=env,
    )  # fmt: skip


def test_offline_verifies_against_the_embedded_production_root_without_network(
    no_network: Path, signed: Path
) -> None:
    result = verify(str(signed), "--offline")
    # the sandbox's certificate chain is not production's: a verification failure, not a
    # network or TUF failure
    assert result.exit_code == 1, result.output
    (row,) = json.loads(result.stdout)["bundles"]
    assert row["status"] == "failed" and row["reason"]
    assert not no_network.exists(), "the embedded root must not touch the TUF cache"


def test_without_offline_no_network_is_a_service_failure_that_names_offline(
    no_network: Path, signed: Path
) -> None:
    result = verify(str(signed))
    assert result.exit_code == 3, result.output
    assert "could not load the production Sigstore trust root" in result.stderr
    assert "--offline" in result.stderr


def test_a_trust_config_needs_no_network_and_offline_changes_nothing(
    sigstore_sandbox: Any, signed: Path
) -> None:
    trust = str(sigstore_sandbox.trust_config_path)
    result = verify(str(signed), "--offline", "--trust-config", trust)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["bundles"][0]["status"] == "verified"
