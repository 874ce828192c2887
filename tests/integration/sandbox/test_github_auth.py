"""Authentication, permissions, rate-limit headers and conditional requests."""

from __future__ import annotations

import http.client
import io
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
import requests
from github import BadCredentialsException, GithubException, UnknownObjectException

from _plugins.github import OPENAPI_PATH, GitHubSandbox
from chainkit.sandbox._seed import load_seed

RATE_HEADERS = (
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-used",
    "x-ratelimit-reset",
    "x-ratelimit-resource",
)


def test_bad_token_is_401(github_sandbox: GitHubSandbox) -> None:
    g = github_sandbox.client("not-a-token")
    with pytest.raises(BadCredentialsException) as info:
        g.get_repo("acme/widgets")
    assert info.value.status == 401
    assert info.value.data["message"] == "Bad credentials"


def test_bearer_scheme_works(github_sandbox: GitHubSandbox) -> None:
    r = requests.get(
        f"{github_sandbox.url}/repos/acme/widgets",
        headers={"Authorization": f"Bearer {github_sandbox.read_token}"},
        timeout=30,
    )
    assert r.status_code == 200
    assert r.json()["permissions"]["push"] is False


def test_read_token_cannot_write(github_sandbox: GitHubSandbox) -> None:
    repo = github_sandbox.client("read").get_repo("acme/widgets")
    rel = repo.get_release("v1.2.0")
    for attempt in (
        lambda: repo.create_git_release("v9", "x", "y"),
        lambda: rel.update_release("x", "y"),
        lambda: rel.upload_asset_from_memory(io.BytesIO(b"x"), 1, "x.txt"),
        lambda: rel.get_assets()[0].delete_asset(),
    ):
        with pytest.raises(GithubException) as info:
            attempt()
        assert info.value.status == 403
        assert info.value.data["message"] == "Resource not accessible by integration"


def test_anonymous_reads_public_but_cannot_write(github_sandbox: GitHubSandbox) -> None:
    g = github_sandbox.client(None)
    repo = g.get_repo("acme/widgets")
    assert repo.get_latest_release().tag_name == "v1.2.0"
    assert g.rate_limiting[1] == 60
    with pytest.raises(GithubException) as info:
        repo.create_git_release("v9", "x", "y")
    assert info.value.status == 401
    assert info.value.data["message"] == "Requires authentication"


def test_private_repo_is_404_for_anonymous(
    github_sandbox_factory: Callable[..., GitHubSandbox],
) -> None:
    sb = github_sandbox_factory(load_seed(OPENAPI_PATH.parent / "seed-small.yaml"))
    with pytest.raises(UnknownObjectException):
        sb.client(None).get_repo("acme/secret")
    assert sb.client("read").get_repo("acme/secret").private is True


def test_rate_limit_headers_once_each(github_sandbox: GitHubSandbox) -> None:
    u = urlsplit(github_sandbox.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    for path, token in (
        ("/repos/acme/widgets/releases", github_sandbox.write_token),
        ("/repos/acme/widgets/releases/tags/nope", github_sandbox.write_token),
        ("/repos/acme/widgets", None),
        ("/repos/acme/widgets", "bad"),
    ):
        headers = {"Authorization": f"token {token}"} if token else {}
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        names = [k.lower() for k, _ in resp.getheaders()]
        for h in RATE_HEADERS:
            assert names.count(h) == 1, (path, h)
        assert resp.getheader("x-ratelimit-resource") == "core"
    conn.close()


def test_budgets_are_per_token(github_sandbox: GitHubSandbox) -> None:
    w = github_sandbox.client()
    w.get_repo("acme/widgets")
    w.get_repo("acme/widgets")
    remaining_w, limit_w = w.rate_limiting
    assert limit_w == 5000 and remaining_w == 4998
    r = github_sandbox.client("read")
    r.get_repo("acme/widgets")
    assert r.rate_limiting == (4999, 5000)
    core = w.get_rate_limit().resources.core
    assert (core.limit, core.remaining, core.used) == (5000, 4998, 2)  # /rate_limit is free


def test_conditional_get_is_304_and_free(github_sandbox: GitHubSandbox) -> None:
    url = f"{github_sandbox.url}/repos/acme/widgets/releases/latest"
    auth = {"Authorization": f"token {github_sandbox.write_token}"}
    first = requests.get(url, headers=auth, timeout=30)
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    assert first.headers["last-modified"].endswith("GMT")
    remaining = int(first.headers["x-ratelimit-remaining"])
    again = requests.get(url, headers={**auth, "If-None-Match": etag}, timeout=30)
    assert again.status_code == 304
    assert again.content == b""
    assert int(again.headers["x-ratelimit-remaining"]) == remaining
    since = requests.get(
        url, headers={**auth, "If-Modified-Since": first.headers["last-modified"]}, timeout=30
    )
    assert since.status_code == 304
    # PyGithub's update() uses both; unchanged -> False.
    rel = github_sandbox.client().get_repo("acme/widgets").get_latest_release()
    assert rel.update() is False
    rel.update_release(rel.name, "changed notes")
    assert rel.update() is True


def test_anonymous_budget_runs_out(github_sandbox: GitHubSandbox) -> None:
    url = f"{github_sandbox.url}/repos/acme/widgets"
    last = None
    for _ in range(60):
        last = requests.get(url, timeout=30)
        assert last.status_code == 200
    assert last is not None and last.headers["x-ratelimit-remaining"] == "0"
    over = requests.get(url, timeout=30)
    assert over.status_code == 403
    assert over.json()["message"].startswith("API rate limit exceeded for")
    assert over.headers["x-ratelimit-remaining"] == "0"
    # Tokens have their own budget.
    ok = requests.get(
        url, headers={"Authorization": f"token {github_sandbox.read_token}"}, timeout=30
    )
    assert ok.status_code == 200


def test_404_body(github_sandbox: GitHubSandbox) -> None:
    r = requests.get(f"{github_sandbox.url}/repos/acme/nope/releases", timeout=30)
    assert r.status_code == 404
    assert r.json()["message"] == "Not Found"
    assert r.json()["documentation_url"].startswith("https://docs.github.com/")
    with pytest.raises(UnknownObjectException):
        github_sandbox.client().get_repo("acme/nope")
