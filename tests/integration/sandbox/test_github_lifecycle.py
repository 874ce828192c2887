"""Lifecycle of the GitHub stand-in: ports, persistence across processes, reseeding."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from _plugins.github import GitHubSandbox, make_github_client
from chainkit.errors import ExitCode
from chainkit.sandbox import SandboxUsageError
from chainkit.sandbox._github import GitHubStandIn
from chainkit.sandbox._seed import default_seed


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        server = GitHubStandIn(tmp_path, port=port)
        with pytest.raises(SandboxUsageError) as info:
            server.start()
    assert f"port {port} on 127.0.0.1 is in use" in info.value.message
    assert info.value.remediation and "port" in info.value.remediation
    assert info.value.exit_code == ExitCode.USAGE


def test_url_needs_start(tmp_path: Path) -> None:
    server = GitHubStandIn(tmp_path)
    with pytest.raises(SandboxUsageError):
        _ = server.url


def test_state_survives_restart_in_a_new_process(tmp_path: Path) -> None:
    server = GitHubStandIn(tmp_path)
    assert not server.seeded
    server.seed(default_seed())
    assert server.seeded
    server.start()
    g = make_github_client(server.url, "sandbox-write")
    repo = g.get_repo("acme/widgets")
    rel = repo.create_git_release("v7.0.0", "seven", "notes 7")
    asset = rel.upload_asset_from_memory(io.BytesIO(b"persist me"), 10, "keep.txt")
    repo.get_release("v1.2.0").update_release("Widgets 1.2.0", "edited", draft=False)
    server.stop()

    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from github import Github, Auth
        from chainkit.sandbox._github import GitHubStandIn
        from chainkit.sandbox._seed import default_seed
        s = GitHubStandIn(Path({str(tmp_path)!r}))
        assert s.seeded
        s.seed(default_seed())  # no-op: already seeded
        s.start()
        g = Github(base_url=s.url, auth=Auth.Token("sandbox-write"), retry=None,
                   seconds_between_requests=0, seconds_between_writes=0)
        repo = g.get_repo("acme/widgets")
        rel = repo.get_release("v7.0.0")
        assert rel.id == {rel.id}, rel.id
        assert rel.body == "notes 7"
        (a,) = rel.get_assets()
        assert a.id == {asset.id}
        _, _, chunks = a.download_asset()
        assert b"".join(chunks) == b"persist me"
        assert repo.get_release("v1.2.0").body == "edited"
        assert len(list(repo.get_releases())) == 4
        new = repo.create_git_release("v8.0.0", "eight", "")
        assert new.id > rel.id
        s.stop()
        print("ok")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_stop_and_start_again(tmp_path: Path) -> None:
    server = GitHubStandIn(tmp_path)
    server.seed(default_seed())
    server.start()
    first = server.url
    server.stop()
    server.start()
    try:
        assert (
            make_github_client(server.url, "sandbox-read").get_repo("acme/widgets").name
            == "widgets"
        )
    finally:
        server.stop()
    assert first.startswith("http://127.0.0.1:")
    assert "sandbox-write" not in repr(server)


def test_concurrent_uploads(github_sandbox_factory: Callable[..., GitHubSandbox]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    sb = github_sandbox_factory()
    rel = sb.client().get_repo("acme/widgets").get_release("v1.1.0")

    def upload(i: int) -> int:
        client_rel = sb.client().get_repo("acme/widgets").get_release("v1.1.0")
        data = bytes([i]) * (50_000 + i)
        return client_rel.upload_asset_from_memory(
            io.BytesIO(data), len(data), f"part-{i}.bin"
        ).size

    with ThreadPoolExecutor(8) as pool:
        sizes = sorted(pool.map(upload, range(16)))
    assert sizes == [50_000 + i for i in range(16)]
    names = {a.name for a in rel.get_assets()}
    assert {f"part-{i}.bin" for i in range(16)} <= names


def test_no_service_after_stop(tmp_path: Path) -> None:
    import requests

    server = GitHubStandIn(tmp_path)
    server.seed(default_seed())
    server.start()
    url = server.url
    with requests.Session() as s:
        assert s.get(f"{url}/repos/acme/widgets", timeout=10).status_code == 200
        server.stop()
        with pytest.raises(requests.ConnectionError):
            s.get(f"{url}/repos/acme/widgets", timeout=10)
