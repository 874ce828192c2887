"""How the local runner finds a background sandbox's OIDC admin secret (docs/sandbox.md)."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from chainkit.sandbox import oidc_admin_secret

URL = "http://127.0.0.1:59999"


def _background(directory: Path, url: str, secret: str | None) -> None:
    """A state directory as `chainkit sandbox up` leaves it (this process standing in)."""
    directory.mkdir(parents=True, exist_ok=True)
    state = {
        "dir": str(directory),
        "pid": os.getpid(),
        "github_api_url": url,
        "sigstore_url": "http://127.0.0.1:59998",
        "token": "w",
        "read_token": "r",
        "trust_config": str(directory / "t.json"),
        "trusted_root": str(directory / "r.json"),
    }
    (directory / "state.json").write_text(json.dumps(state))
    if secret is not None:
        (directory / "oidc-admin.secret").write_text(secret + "\n")


def test_found_only_in_the_directory_of_the_sandbox_at_that_url(tmp_path: Path) -> None:
    secret = "sbxadm-" + secrets.token_urlsafe(8)
    other, mine = tmp_path / "other", tmp_path / "mine"
    _background(other, "http://127.0.0.1:59997", "sbxadm-other")
    _background(mine, URL, secret)
    assert oidc_admin_secret(URL, (tmp_path / "missing", other, mine)) == secret
    assert oidc_admin_secret(URL + "/", (mine,)) == secret
    assert oidc_admin_secret(URL, (other,)) is None
    assert oidc_admin_secret(URL, ()) is None


def test_a_secret_file_replaced_by_a_link_is_not_followed(tmp_path: Path) -> None:
    planted = tmp_path / "planted"
    planted.write_text("sbxadm-planted\n")
    directory = tmp_path / "sb"
    _background(directory, URL, None)
    (directory / "oidc-admin.secret").symlink_to(planted)
    assert oidc_admin_secret(URL, (directory,)) is None


def test_an_in_process_sandbox_writes_it_0600_and_removes_it_at_stop(tmp_path: Path) -> None:
    from chainkit.sandbox import Sandbox

    sandbox = Sandbox(tmp_path / "sb")
    info = sandbox.start()
    try:
        path = info.dir / "oidc-admin.secret"
        assert path.stat().st_mode & 0o777 == 0o600
        assert oidc_admin_secret(info.github_api_url) == path.read_text().strip()
    finally:
        sandbox.stop()
    assert not path.exists()
    assert oidc_admin_secret(info.github_api_url) is None
