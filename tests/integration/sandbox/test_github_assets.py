"""Assets through the real PyGithub client: upload, download, names, digests, errors."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from github import GithubException, UnknownObjectException

from _plugins.github import OPENAPI_PATH, GitHubSandbox
from _plugins.sandbox import asset, release, seed
from chainkit.sandbox._seed import load_seed

SMALL_SEED = OPENAPI_PATH.parent / "seed-small.yaml"


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_upload_and_download_round_trip(github_sandbox: GitHubSandbox, tmp_path: Path) -> None:
    repo = github_sandbox.client().get_repo("acme/widgets")
    rel = repo.get_release("v1.2.0")
    src = tmp_path / "widgets-1.2.0.tar.gz.sigstore.json"
    payload = bytes(range(256)) * 4096 + b"tail"
    src.write_bytes(payload)
    asset = rel.upload_asset(str(src), content_type="application/json")
    assert asset.state == "uploaded"
    assert asset.size == len(payload)
    assert asset.content_type == "application/json"
    assert asset.name == src.name
    assert asset.digest == _sha(payload)
    dest = tmp_path / "out.bin"
    asset.download_asset(str(dest))
    assert dest.read_bytes() == payload
    kinds = [e["kind"] for e in github_sandbox.requests_log()]
    assert kinds[-3:] == ["upload", "download", "storage"]
    assert asset.id in [a.id for a in repo.get_release("v1.2.0").get_assets()]
    # The storage answer looks like GitHub's CDN.
    status, headers, chunks = asset.download_asset()
    assert status == 200
    assert b"".join(chunks) == payload
    assert headers["content-disposition"] == f"attachment; filename={asset.name}"
    assert headers["content-type"] == "application/octet-stream"
    assert headers["etag"]


def test_upload_from_memory_and_guessed_type(github_sandbox: GitHubSandbox, tmp_path: Path) -> None:
    rel = github_sandbox.client().get_repo("acme/widgets").get_release("v1.1.0")
    a = rel.upload_asset_from_memory(io.BytesIO(b"abc"), 3, "notes.txt", label="Notes")
    assert (a.content_type, a.label, a.size) == ("application/octet-stream", "Notes", 3)
    p = tmp_path / "pkg.tar.gz"
    p.write_bytes(b"\x1f\x8b")
    assert rel.upload_asset(str(p)).content_type == "application/x-tar"


def test_seeded_assets_download_identically(github_sandbox: GitHubSandbox) -> None:
    from chainkit.sandbox._seed import asset_chunks, default_seed

    seed = default_seed()
    spec = seed.repos[0].releases[1]
    repo = github_sandbox.client().get_repo("acme/widgets")
    rel = repo.get_release(spec.tag)
    by_name = {a.name: a for a in rel.get_assets()}
    for a in spec.assets:
        expected = b"".join(asset_chunks("acme/widgets", spec.tag, a))
        status, _, chunks = by_name[a.name].download_asset()
        assert status == 200
        assert b"".join(chunks) == expected
        assert by_name[a.name].digest == _sha(expected)


def test_digest_null_absent_and_lie(github_sandbox_factory: Callable[..., GitHubSandbox]) -> None:
    # digest: absent breaks the github.com schema on purpose (old GHES): no contract check here.
    sb = github_sandbox_factory(load_seed(SMALL_SEED), validate=False)
    rel = sb.client().get_repo("acme/widgets").get_release("v1.0.0")
    raw = requests.get(
        f"{sb.url}/repos/acme/widgets/releases/{rel.id}/assets",
        headers={"Authorization": f"token {sb.write_token}"},
        timeout=30,
    ).json()
    by_name = {a["name"]: a for a in raw}
    assert by_name["NOTES.txt"]["digest"] is None
    assert "digest" not in by_name["legacy.bin"]
    assert by_name["lie.bin"]["digest"] == "sha256:" + "0" * 64
    assert by_name["widgets-1.0.0.tar.gz"]["digest"].startswith("sha256:")
    assert by_name["widgets-1.0.0.tar.gz"]["size"] == 5000
    # PyGithub copes with all three.
    digests = {a.name: a.digest for a in rel.get_assets()}
    assert digests["NOTES.txt"] is None and digests["legacy.bin"] is None


def test_names_are_sanitized_and_duplicates_rejected(github_sandbox: GitHubSandbox) -> None:
    rel = github_sandbox.client().get_repo("acme/widgets").get_release("v1.2.0")
    first = rel.upload_asset_from_memory(io.BytesIO(b"1"), 1, "Symbols.Mixed.64-bit.7z")
    assert first.name == "Symbols.Mixed.64-bit.7z"
    with pytest.raises(GithubException) as info:
        rel.upload_asset_from_memory(io.BytesIO(b"2"), 1, "Symbols.Mixed 64-bit.7z")
    assert info.value.status == 422
    assert info.value.data == {
        "message": "Validation Failed",
        "errors": [{"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}],
        "documentation_url": "https://docs.github.com/rest/releases/assets#upload-a-release-asset",
    }
    assert (
        rel.upload_asset_from_memory(io.BytesIO(b"3"), 1, ".hidden cfg").name
        == "default.hidden.cfg"
    )
    assert rel.upload_asset_from_memory(io.BytesIO(b"4"), 1, "a+b.txt").name == "a+b.txt"
    # Delete, then the name is free again.
    first.delete_asset()
    again = rel.upload_asset_from_memory(io.BytesIO(b"5"), 1, "Symbols.Mixed 64-bit.7z")
    assert again.name == "Symbols.Mixed.64-bit.7z"


def test_upload_to_immutable_release(github_sandbox_factory: Callable[..., GitHubSandbox]) -> None:
    sb = github_sandbox_factory(load_seed(SMALL_SEED))
    rel = sb.client().get_repo("acme/widgets").get_release("v1.1.0")
    assert rel.raw_data["immutable"] is True
    with pytest.raises(GithubException) as info:
        rel.upload_asset_from_memory(io.BytesIO(b"x"), 1, "late.sigstore.json")
    assert info.value.status == 422
    assert "Cannot upload assets to an immutable release" in info.value.data["message"]
    (frozen,) = rel.get_assets()
    with pytest.raises(GithubException) as info:
        frozen.delete_asset()
    assert info.value.status == 422


def test_update_and_delete_asset(github_sandbox: GitHubSandbox) -> None:
    rel = github_sandbox.client().get_repo("acme/widgets").get_release("v1.2.0")
    a = rel.upload_asset_from_memory(io.BytesIO(b"x"), 1, "old.txt")
    b = a.update_asset("new name.txt", label="New")
    assert (b.name, b.label) == ("new.name.txt", "New")
    assert a.delete_asset() is True
    with pytest.raises(UnknownObjectException):
        github_sandbox.client().get_repo("acme/widgets").get_release_asset(a.id)


def test_asset_of_draft_hidden_from_readers(github_sandbox: GitHubSandbox) -> None:
    writer = github_sandbox.client().get_repo("acme/widgets")
    draft = next(r for r in writer.get_releases() if r.draft)
    (asset,) = draft.get_assets()
    assert writer.get_release_asset(asset.id).name == asset.name
    with pytest.raises(UnknownObjectException):
        github_sandbox.client("read").get_repo("acme/widgets").get_release_asset(asset.id)


def test_upload_needs_content_length_and_name(github_sandbox: GitHubSandbox) -> None:
    rel = github_sandbox.client().get_repo("acme/widgets").get_release("v1.2.0")
    url = rel.upload_url.split("{")[0]
    auth = {"Authorization": f"token {github_sandbox.write_token}"}

    def chunks():
        yield b"abc"

    r = requests.post(url + "?name=x.txt", data=chunks(), headers=auth, timeout=30)
    assert r.status_code == 411
    r = requests.post(url, data=b"abc", headers=auth, timeout=30)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "name"
    r = requests.post(url + "?name=x.txt&label=", data=b"abc", headers=auth, timeout=30)
    assert r.status_code == 201
    assert r.json()["label"] == ""


def test_release_holds_at_most_1000_assets(
    github_sandbox_factory: Callable[..., GitHubSandbox],
) -> None:
    assets = [asset(f"a{i}.txt", "") for i in range(1000)]
    sb = github_sandbox_factory(seed("acme/full", releases=[release("v1", assets=assets)]))
    rel = sb.client(per_page=100).get_repo("acme/full").get_release("v1")
    assert rel.get_assets().totalCount == 1000
    with pytest.raises(GithubException) as info:
        rel.upload_asset_from_memory(io.BytesIO(b"x"), 1, "one-too-many.txt")
    assert info.value.status == 422


def test_browser_download_url(github_sandbox: GitHubSandbox) -> None:
    rel = github_sandbox.client().get_repo("acme/widgets").get_release("v1.2.0")
    sums = next(a for a in rel.get_assets() if a.name == "SHA256SUMS")
    r = requests.get(sums.browser_download_url, timeout=30)
    assert r.status_code == 200
    assert r.content.decode().count("\n") == 2
    assert r.history[0].status_code == 302


@pytest.mark.slow
def test_large_upload_streams(github_sandbox: GitHubSandbox, tmp_path: Path) -> None:
    size = 300 * 1024 * 1024
    src = tmp_path / "big.bin"
    h = hashlib.sha256()
    with src.open("wb") as fh:
        block = hashlib.sha256(b"x").digest() * 32768  # 1 MiB
        for _ in range(size // len(block)):
            fh.write(block)
            h.update(block)
    rel = github_sandbox.client(timeout=300).get_repo("acme/widgets").get_release("v1.2.0")
    asset = rel.upload_asset(str(src))
    assert asset.size == size
    assert asset.digest == "sha256:" + h.hexdigest()
    dest = tmp_path / "back.bin"
    # PyGithub's default chunk_size is 1 byte: far too slow for big files.
    asset.download_asset(str(dest), chunk_size=1024 * 1024)
    assert dest.stat().st_size == size
