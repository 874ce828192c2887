"""``chainkit sandbox up/down/status/token``: the background sandbox, end to end.

These run the real CLI in subprocesses (``up`` starts a detached process) and talk to
the stand-ins with the real PyGithub and sigstore-python clients.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from github import Auth, Github
from sigstore.models import ClientTrustConfig
from sigstore.oidc import IdentityToken
from sigstore.sign import SigningContext
from sigstore.verify import Verifier, policy

ISSUER = "https://token.actions.githubusercontent.com"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CHAINKIT_"))}
    return subprocess.run(
        [sys.executable, "-m", "chainkit", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        cwd=cwd,
    )


def claims(jwt: str) -> dict[str, Any]:
    payload = jwt.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data


@pytest.fixture
def sandbox_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "sbx"
    yield directory
    run("sandbox", "down", "--dir", str(directory))


def up(directory: Path, *extra: str) -> dict[str, Any]:
    result = run("sandbox", "up", "--dir", str(directory), "--json", *extra)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_up_prints_everything_a_client_needs(sandbox_dir: Path) -> None:
    info = up(sandbox_dir)
    for key in (
        "github_api_url",
        "token",
        "read_token",
        "trust_config",
        "trusted_root",
        "identity_token",
        "dir",
        "pid",
    ):
        assert info.get(key), key
    assert info["github_api_url"].startswith("http://127.0.0.1:")
    assert Path(info["dir"]) == sandbox_dir.resolve()

    # The real PyGithub sees the seeded demo repository.
    gh = Github(base_url=info["github_api_url"], auth=Auth.Token(info["read_token"]), retry=None)
    repo = gh.get_repo("acme/widgets")
    assert [r.tag_name for r in repo.get_releases()]

    # The real sigstore-python signs through it with the printed token and trust config.
    trust = ClientTrustConfig.from_json(Path(info["trust_config"]).read_text())
    with SigningContext.from_trust_config(trust).signer(
        IdentityToken(info["identity_token"])
    ) as signer:
        bundle = signer.sign_artifact(b"hello")
    identity = "https://github.com/acme/widgets/.github/workflows/release.yml@refs/heads/main"
    Verifier(trusted_root=trust.trusted_root).verify_artifact(
        b"hello",
        bundle,
        policy.AllOf(
            [
                policy.Identity(identity=identity, issuer=ISSUER),
                policy.OIDCSourceRepositoryURI("https://github.com/acme/widgets"),
            ]
        ),
    )

    status = run("sandbox", "status", "--dir", str(sandbox_dir), "--json")
    assert status.returncode == 0
    assert json.loads(status.stdout)["pid"] == info["pid"]


def test_up_is_idempotent_and_state_survives_a_restart(sandbox_dir: Path) -> None:
    first = up(sandbox_dir)
    assert up(sandbox_dir)["pid"] == first["pid"]  # already running: same sandbox

    gh = Github(base_url=first["github_api_url"], auth=Auth.Token(first["token"]), retry=None)
    release = gh.get_repo("acme/widgets").get_releases()[0]
    release.upload_asset_from_memory(
        __import__("io").BytesIO(b"kept across restarts"), 20, name="kept.txt"
    )
    root_before = json.loads(Path(first["trusted_root"]).read_text())

    down = run("sandbox", "down", "--dir", str(sandbox_dir))
    assert down.returncode == 0
    assert run("sandbox", "status", "--dir", str(sandbox_dir)).returncode == 1

    second = up(sandbox_dir)
    assert second["pid"] != first["pid"]
    root_after = json.loads(Path(second["trusted_root"]).read_text())
    # same keys (the URLs may differ if another process took a port meanwhile)
    for section in ("certificateAuthorities", "timestampAuthorities"):
        assert [ca["certChain"] for ca in root_after[section]] == [
            ca["certChain"] for ca in root_before[section]
        ]
    for section in ("tlogs", "ctlogs"):
        assert [log["logId"] for log in root_after[section]] == [
            log["logId"] for log in root_before[section]
        ]
    gh = Github(base_url=second["github_api_url"], auth=Auth.Token(second["token"]), retry=None)
    release = gh.get_repo("acme/widgets").get_release(release.id)
    kept = [a for a in release.get_assets() if a.name == "kept.txt"]
    assert len(kept) == 1
    _, _, chunks = kept[0].download_asset()
    assert b"".join(chunks) == b"kept across restarts"


def test_token_options_become_claims(sandbox_dir: Path) -> None:
    up(sandbox_dir)
    result = run(
        "sandbox",
        "token",
        "--dir",
        str(sandbox_dir),
        "--repository",
        "acme/gadgets",
        "--workflow-ref",
        "org/shared/.github/workflows/sign.yml@refs/tags/v2",
        "--ref",
        "refs/tags/v1.0.0",
        "--sha",
        "a" * 40,
        "--event",
        "release",
        "--environment",
        "sigstore-backfill",
        "--lifetime",
        "120",
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token.count(".") == 2 and "\n" not in token  # the raw JWT alone
    c = claims(token)
    assert c["iss"] == ISSUER and c["aud"] == "sigstore"
    assert c["repository"] == "acme/gadgets" and c["repository_owner"] == "acme"
    assert (
        c["job_workflow_ref"]
        == c["workflow_ref"]
        == ("org/shared/.github/workflows/sign.yml@refs/tags/v2")
    )
    assert c["ref"] == "refs/tags/v1.0.0" and c["sha"] == "a" * 40
    assert c["event_name"] == "release" and c["environment"] == "sigstore-backfill"
    assert c["sub"] == "repo:acme/gadgets:environment:sigstore-backfill"
    assert c["exp"] - c["iat"] == 120
    assert c["runner_environment"] == "github-hosted"
    assert c["nbf"] <= c["iat"]


def test_token_without_a_sandbox_is_a_usage_error(tmp_path: Path) -> None:
    result = run("sandbox", "token", "--dir", str(tmp_path / "nothing"))
    assert result.returncode == 2
    assert "holds no sandbox" in result.stderr and "chainkit sandbox up" in result.stderr


def test_malformed_seed_is_a_clear_usage_error(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("version: 1\nrepos:\n  - full_name: acme/widgets\n    relases: []\n")
    result = run("sandbox", "up", "--dir", str(tmp_path / "sbx"), "--seed", str(seed))
    assert result.returncode == 2
    assert "relases" in result.stderr
    assert not (tmp_path / "sbx" / "state.json").exists()


def test_port_in_use_is_a_clear_usage_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("sandbox", "up", "--dir", str(tmp_path / "sbx"), "--github-port", str(port))
    assert result.returncode == 2
    assert f"port {port}" in result.stderr and "in use" in result.stderr


def test_env_output_is_shell_safe(sandbox_dir: Path) -> None:
    up(sandbox_dir)
    result = run("sandbox", "up", "--dir", str(sandbox_dir), "--env")
    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    assert all(line.startswith("export ") for line in lines)
    names = {line.split("=", 1)[0].removeprefix("export ") for line in lines}
    assert {"GITHUB_API_URL", "GITHUB_TOKEN", "CHAINKIT_TRUST_CONFIG"} <= names


def test_down_without_a_sandbox_is_fine(tmp_path: Path) -> None:
    result = run("sandbox", "down", "--dir", str(tmp_path / "none"))
    assert result.returncode == 0
    assert "no sandbox was running" in result.stderr


def test_a_seed_for_an_existing_sandbox_is_reported_as_ignored(
    sandbox_dir: Path, tmp_path: Path
) -> None:
    up(sandbox_dir)
    seed = tmp_path / "other.json"
    seed.write_text(json.dumps({"version": 1, "repos": [{"full_name": "other/repo"}]}))
    while_running = run("sandbox", "up", "--dir", str(sandbox_dir), "--seed", str(seed))
    assert while_running.returncode == 0, while_running.stderr
    assert "the seed" in while_running.stderr and "is ignored" in while_running.stderr
    assert str(seed) in while_running.stderr

    assert run("sandbox", "down", "--dir", str(sandbox_dir)).returncode == 0
    stopped = run("sandbox", "up", "--dir", str(sandbox_dir), "--seed", str(seed), "--json")
    assert stopped.returncode == 0, stopped.stderr
    assert "is ignored" in stopped.stderr
    assert json.loads(stopped.stdout)["repositories"] == ["acme/widgets"]  # the old state
