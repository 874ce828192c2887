"""The test-only /_sandbox/ endpoints: faults, request log, drift between plan and apply."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
import requests
from github import GithubException, GithubRetry, RateLimitExceededException

from _plugins.github import GitHubSandbox


def test_fault_502_then_recovers(github_sandbox: GitHubSandbox) -> None:
    repo = github_sandbox.client().get_repo("acme/widgets")
    rel = repo.get_release("v1.2.0")
    github_sandbox.add_fault(method="PATCH", path=r"/releases/\d+$", status=502, times=1)
    with pytest.raises(GithubException) as info:
        rel.update_release(rel.name, "x")  # PATCH is never retried by PyGithub
    assert info.value.status == 502
    assert rel.update_release(rel.name, "y").body == "y"
    log = github_sandbox.requests_log()
    patches = [e for e in log if e["method"] == "PATCH"]
    assert [(e["status"], e["fault"]) for e in patches] == [(502, True), (200, False)]


def test_fault_5xx_retried_by_get(github_sandbox: GitHubSandbox) -> None:
    github_sandbox.add_fault(method="GET", path="/releases/latest$", status=503, times=2)
    g = github_sandbox.client(retry=GithubRetry(total=3, backoff_factor=0))
    assert g.get_repo("acme/widgets").get_latest_release().tag_name == "v1.2.0"
    statuses = [
        e["status"] for e in github_sandbox.requests_log() if e["kind"] == "get-latest-release"
    ]
    assert statuses == [503, 503, 200]


def test_secondary_rate_limit_with_retry_after(github_sandbox: GitHubSandbox) -> None:
    github_sandbox.add_fault(
        method="POST",
        path="/releases$",
        status=403,
        headers={"retry-after": "0"},
        body={
            "message": "You have exceeded a secondary rate limit. "
            "Please wait a few minutes before you try again.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        },
        times=1,
    )
    g = github_sandbox.client(retry=GithubRetry(total=3, backoff_factor=0, secondary_rate_wait=0))
    rel = g.get_repo("acme/widgets").create_git_release("v5.0.0", "five", "")
    assert rel.tag_name == "v5.0.0"
    # Without retries PyGithub raises the rate-limit exception.
    github_sandbox.add_fault(
        method="POST",
        path="/releases$",
        status=403,
        body={"message": "You have exceeded a secondary rate limit."},
    )
    with pytest.raises(RateLimitExceededException):
        github_sandbox.client().get_repo("acme/widgets").create_git_release("v6.0.0", "six", "")


def test_primary_rate_limit_and_429(github_sandbox: GitHubSandbox) -> None:
    github_sandbox.add_fault(
        path="/releases/latest$",
        status=403,
        headers={"x-ratelimit-remaining": "0"},
        body={"message": "API rate limit exceeded for installation ID 1."},
    )
    r = requests.get(
        f"{github_sandbox.url}/repos/acme/widgets/releases/latest",
        headers={"Authorization": f"token {github_sandbox.write_token}"},
        timeout=30,
    )
    assert r.status_code == 403
    assert r.headers["x-ratelimit-remaining"] == "0"
    assert r.headers["x-ratelimit-limit"] == "5000"
    github_sandbox.add_fault(path="/releases/latest$", status=429, body={"message": "Too many"})
    with pytest.raises(GithubException) as info:
        github_sandbox.client().get_repo("acme/widgets").get_latest_release()
    assert info.value.status == 429


def test_fault_on_upload_drains_body(github_sandbox: GitHubSandbox) -> None:
    rel = github_sandbox.client().get_repo("acme/widgets").get_release("v1.2.0")
    github_sandbox.add_fault(path="^/uploads/", status=502, times=1)
    url = rel.upload_url.split("{")[0] + "?name=x.bin"
    auth = {"Authorization": f"token {github_sandbox.write_token}"}
    with requests.Session() as s:
        assert s.post(url, data=b"x" * 300_000, headers=auth, timeout=30).status_code == 502
        assert s.post(url, data=b"x" * 300_000, headers=auth, timeout=30).status_code == 201


def test_faults_clear_and_validate(github_sandbox: GitHubSandbox) -> None:
    github_sandbox.add_fault(path=".", status=500, times=None)
    assert github_sandbox.admin("GET", "faults").json()[0]["times"] is None
    assert github_sandbox.admin("DELETE", "faults").status_code == 204
    assert github_sandbox.client().get_repo("acme/widgets").name == "widgets"
    bad = github_sandbox.admin("POST", "faults", json={"status": 500, "path": "("})
    assert bad.status_code == 400
    assert github_sandbox.admin("POST", "faults", json={"status": 99}).status_code == 400
    assert (
        github_sandbox.admin("POST", "faults", json={"status": 500, "nope": 1}).status_code == 400
    )


def test_request_log(github_sandbox: GitHubSandbox) -> None:
    repo = github_sandbox.client(per_page=2).get_repo("acme/widgets")
    list(repo.get_releases())
    log = github_sandbox.requests_log()
    assert [e["kind"] for e in log] == ["get-repo", "list-releases", "list-releases"]
    assert log[1] == {
        "seq": log[1]["seq"],
        "method": "GET",
        "path": "/repos/acme/widgets/releases",
        "query": "per_page=2",
        "status": 200,
        "kind": "list-releases",
        "operation_id": "repos/list-releases",
        "fault": False,
        "fault_kind": None,
        "bytes_in": 0,
        "bytes_out": log[1]["bytes_out"],
        "ms": log[1]["ms"],
    }
    assert log[1]["bytes_out"] > 100 and log[1]["ms"] >= 0
    # The token the client sent is never recorded (nor any other header).
    assert github_sandbox.write_token not in json.dumps(log)
    assert log[2]["path"] == f"/repositories/{repo.id}/releases"
    assert github_sandbox.admin("DELETE", "requests").status_code == 204
    assert github_sandbox.requests_log() == []


def test_make_release_immutable(github_sandbox: GitHubSandbox) -> None:
    rel = github_sandbox.client().get_repo("acme/widgets").get_release("v1.1.0")
    r = github_sandbox.admin(
        "PATCH", f"repos/acme/widgets/releases/{rel.id}", json={"immutable": True}
    )
    assert r.status_code == 200 and r.json()["immutable"] is True
    with pytest.raises(GithubException) as info:
        rel.upload_asset_from_memory(io.BytesIO(b"x"), 1, "x.txt")
    assert "immutable release" in info.value.data["message"]
    r = github_sandbox.admin(
        "PATCH", f"repos/acme/widgets/releases/{rel.id}", json={"immutable": False}
    )
    assert r.json()["immutable"] is False


def test_replace_asset_content(github_sandbox: GitHubSandbox) -> None:
    rel = github_sandbox.client().get_repo("acme/widgets").get_release("v1.2.0")
    asset = rel.get_assets()[0]
    before = asset.digest
    r = github_sandbox.admin(
        "PUT", f"repos/acme/widgets/releases/assets/{asset.id}/content", data=b"tampered"
    )
    assert r.status_code == 200
    assert r.json()["digest"] == before  # digest kept: a lie now
    assert r.json()["size"] == len(b"tampered")
    _, _, chunks = (
        github_sandbox.client()
        .get_repo("acme/widgets")
        .get_release_asset(asset.id)
        .download_asset()
    )
    assert b"".join(chunks) == b"tampered"
    r = github_sandbox.admin(
        "PUT", f"repos/acme/widgets/releases/assets/{asset.id}/content?digest=update", data=b"new"
    )
    assert r.json()["digest"] == "sha256:" + hashlib.sha256(b"new").hexdigest()
    assert (
        github_sandbox.admin(
            "PUT", "repos/acme/widgets/releases/assets/1/content", data=b""
        ).status_code
        == 404
    )
