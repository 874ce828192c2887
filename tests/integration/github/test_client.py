"""chainkit's GitHub client (PyGithub's Requester underneath) against the GitHub stand-in."""

from __future__ import annotations

import hashlib
import io
import threading
from pathlib import Path
from typing import Any

import pytest

from chainkit._internal.ghenv import GitHubContext
from chainkit.errors import ExitCode
from chainkit.github import (
    AssetExistsError,
    ClientSettings,
    GitHubClient,
    GitHubServiceError,
    GitHubUsageError,
    ImmutableReleaseError,
    NotFoundError,
)

FAST = ClientSettings(write_interval=0, retries=3, backoff=0, secondary_rate_wait=1)


def client_for(sb: Any, token: str | None, settings: ClientSettings = FAST) -> GitHubClient:
    context = GitHubContext(
        api_url=sb.url, token=token, repository=None, step_summary=None, in_actions=False
    )
    return GitHubClient.from_context(context, settings=settings)


def seed(releases: int = 3, **release_extra: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "repos": [
            {
                "full_name": "acme/widgets",
                "environments": [
                    {"name": "guarded", "required_reviewers": ["release-team"]},
                    {"name": "open", "required_reviewers": []},
                ],
                "releases": [
                    {
                        "tag": f"v0.{i}.0",
                        "published_at": f"2021-01-{(i % 28) + 1:02d}T00:00:00Z",
                        "body": f"notes {i}",
                        "assets": [{"name": f"w-{i}.whl", "content": f"bytes {i}"}],
                        **release_extra,
                    }
                    for i in range(releases)
                ],
            }
        ],
    }


def test_lists_250_releases_in_three_requests(github_sandbox_factory: Any) -> None:
    sb = github_sandbox_factory(seed(250))
    client = client_for(sb, sb.read_token)
    sb.admin("DELETE", "requests")
    releases = list(client.iter_releases("acme/widgets"))
    assert len(releases) == 250
    assert len({r.id for r in releases}) == 250
    assert all(len(r.assets) == 1 for r in releases)
    kinds = [r["kind"] for r in sb.requests_log()]
    assert kinds == ["list-releases"] * 3


def test_download_streams_and_hashes(github_sandbox_factory: Any, tmp_path: Path) -> None:
    sb = github_sandbox_factory(seed(1))
    client = client_for(sb, sb.read_token)
    release = next(client.iter_releases("acme/widgets"))
    dest = tmp_path / "w.whl"
    assert client.download(release.assets[0], dest) == hashlib.sha256(b"bytes 0").hexdigest()
    assert dest.read_bytes() == b"bytes 0"
    assert client.fetch_small(release.assets[0], max_bytes=100) == b"bytes 0"
    with pytest.raises(GitHubUsageError):
        client.fetch_small(release.assets[0], max_bytes=3)


def test_upload_then_duplicate_then_immutable(github_sandbox_factory: Any) -> None:
    sb = github_sandbox_factory(seed(2))
    client = client_for(sb, sb.write_token)
    release = next(client.iter_releases("acme/widgets"))
    asset = client.upload_bytes(release, io.BytesIO(b"{}"), 2, name="x.sigstore.json")
    assert asset.name == "x.sigstore.json" and asset.sha256 == hashlib.sha256(b"{}").hexdigest()
    with pytest.raises(AssetExistsError) as exc:
        client.upload_bytes(release, io.BytesIO(b"{}"), 2, name="x.sigstore.json")
    assert exc.value.exit_code == ExitCode.USAGE
    sb.admin("PATCH", f"repos/acme/widgets/releases/{release.id}", json={"immutable": True})
    with pytest.raises(ImmutableReleaseError):
        client.upload_bytes(release, io.BytesIO(b"{}"), 2, name="y.sigstore.json")


def test_update_body_keeps_draft_and_prerelease(github_sandbox_factory: Any) -> None:
    sb = github_sandbox_factory(seed(1, draft=True, prerelease=True, published_at=None))
    client = client_for(sb, sb.write_token)
    (release,) = list(client.iter_releases("acme/widgets"))
    assert release.draft and release.prerelease
    updated = client.update_body(release, "new notes")
    assert updated.body == "new notes" and updated.draft and updated.prerelease
    assert client.get_release("acme/widgets", release.id).draft


def test_environments_protection(github_sandbox_factory: Any) -> None:
    sb = github_sandbox_factory(seed(1))
    client = client_for(sb, sb.read_token)
    guarded = client.get_environment("acme/widgets", "guarded")
    assert guarded.protected and guarded.required_reviewers
    assert not client.get_environment("acme/widgets", "open").protected
    with pytest.raises(NotFoundError):
        client.get_environment("acme/widgets", "missing")


@pytest.mark.parametrize(
    ("token", "message"),
    [("not-a-token", "rejected the token"), ("read", "forbidden (403")],
)
def test_credentials_errors_are_usage_errors(
    github_sandbox_factory: Any, token: str, message: str
) -> None:
    sb = github_sandbox_factory(seed(1))
    reader = client_for(sb, sb.read_token)
    release = next(reader.iter_releases("acme/widgets"))
    value = sb.read_token if token == "read" else token
    client = client_for(sb, value)
    with pytest.raises(GitHubUsageError) as exc:
        client.update_body(release, "x")
    assert message in exc.value.message
    assert value not in exc.value.render()  # never a token in an error
    assert exc.value.exit_code == ExitCode.USAGE


def test_missing_tag_is_not_found(github_sandbox_factory: Any) -> None:
    sb = github_sandbox_factory(seed(1))
    with pytest.raises(NotFoundError):
        client_for(sb, sb.read_token).get_release_by_tag("acme/widgets", "v404")


def test_patch_is_retried_after_a_502(github_sandbox_factory: Any) -> None:
    sb = github_sandbox_factory(seed(1))
    client = client_for(sb, sb.write_token)
    release = next(client.iter_releases("acme/widgets"))
    sb.add_fault(method="PATCH", path=r"/releases/\d+$", status=502, times=1)
    assert client.update_body(release, "after a 502").body == "after a 502"
    patches = [r for r in sb.requests_log() if r["method"] == "PATCH"]
    assert [p["status"] for p in patches] == [502, 200]


def test_secondary_rate_limit_is_waited_out(github_sandbox_factory: Any) -> None:
    sb = github_sandbox_factory(seed(1))
    client = client_for(sb, sb.write_token)
    release = next(client.iter_releases("acme/widgets"))
    sb.add_fault(
        method="POST",
        path=r"/assets$",
        status=403,
        headers={"retry-after": "1"},
        body={"message": "You have exceeded a secondary rate limit. Please wait a few minutes."},
        times=1,
    )
    asset = client.upload_bytes(release, io.BytesIO(b"ok"), 2, name="z.txt")
    assert asset.name == "z.txt"


def test_persistent_5xx_is_a_service_error(github_sandbox_factory: Any) -> None:
    sb = github_sandbox_factory(seed(1))
    client = client_for(sb, sb.read_token)
    sb.add_fault(method="GET", path=r"/releases$", status=503, times=10)
    with pytest.raises(GitHubServiceError) as exc:
        list(client.iter_releases("acme/widgets"))
    assert exc.value.exit_code == ExitCode.FAILURE


def test_unreachable_api_is_a_service_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    context = GitHubContext(
        api_url=f"http://127.0.0.1:{port}",
        token=None,
        repository=None,
        step_summary=None,
        in_actions=False,
    )
    client = GitHubClient.from_context(context, settings=FAST)
    with pytest.raises(GitHubServiceError) as exc:
        list(client.iter_releases("acme/widgets"))
    assert "cannot reach" in exc.value.message or "kept failing" in exc.value.message


def test_a_download_retry_after_beyond_the_cap_is_a_service_error(
    github_sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr("chainkit.github._client._sleep", slept.append)
    sb = github_sandbox_factory(seed(1))
    client = client_for(sb, sb.read_token, ClientSettings(write_interval=0, max_retry_wait=60))
    release = next(client.iter_releases("acme/widgets"))
    sb.add_fault(
        method="GET", path=r"/assets/\d+$", status=503, headers={"retry-after": "61"}, times=10
    )
    with pytest.raises(GitHubServiceError) as exc:
        client.download(release.assets[0], tmp_path / "a.whl")
    assert "asked to wait 61 s" in exc.value.message
    assert "60 s" in exc.value.message
    assert slept == []


def test_a_downloader_for_another_thread_has_its_own_session_and_the_same_policy(
    github_sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr("chainkit.github._client._sleep", slept.append)
    sb = github_sandbox_factory(seed(1))
    client = client_for(sb, sb.read_token, ClientSettings(write_interval=0, max_retry_wait=60))
    release = next(client.iter_releases("acme/widgets"))
    download = client.downloader()
    reader = download.__self__  # type: ignore[attr-defined]
    assert reader._downloads is not client._downloads  # requests sessions are not shared
    assert reader.pacer is None  # and it has no write path
    got: list[str] = []
    asset = release.assets[0]
    worker = threading.Thread(target=lambda: got.append(download(asset, tmp_path / "a")))
    worker.start()
    worker.join(30)
    assert got == [hashlib.sha256(b"bytes 0").hexdigest()]
    # the same retry policy as the client's own downloads
    sb.add_fault(
        method="GET", path=r"/assets/\d+$", status=503, headers={"retry-after": "61"}, times=10
    )
    with pytest.raises(GitHubServiceError) as exc:
        download(release.assets[0], tmp_path / "b")
    assert "asked to wait 61 s" in exc.value.message
    assert slept == []


def test_every_wait_is_capped_for_the_api_session(
    github_sandbox_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr("chainkit.github._client._sleep", slept.append)
    sb = github_sandbox_factory(seed(1))
    client = client_for(sb, sb.read_token, ClientSettings(write_interval=0, max_retry_wait=30))
    sb.add_fault(
        method="GET", path=r"/releases$", status=502, headers={"retry-after": "30"}, times=1
    )
    assert len(list(client.iter_releases("acme/widgets"))) == 1
    assert slept == [30]
    sb.add_fault(
        method="GET", path=r"/releases$", status=502, headers={"retry-after": "31"}, times=1
    )
    with pytest.raises(GitHubServiceError) as exc:
        list(client.iter_releases("acme/widgets"))
    assert "asked to wait 31 s" in exc.value.message
    assert slept == [30]
