"""Repository lists on the GitHub stand-in: of an organization, of a user, of the installation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from github.Installation import Installation

from _plugins.github import GitHubSandbox, http
from _plugins.sandbox import repository, seed

SEED = seed(
    repos=[
        repository("acme/widgets"),
        repository("acme/secret", private=True),
        repository("acme/alpha"),
        repository("other/thing"),
    ]
)


@pytest.fixture
def sb(github_sandbox_factory: Callable[..., GitHubSandbox]) -> GitHubSandbox:
    return github_sandbox_factory(SEED)


def _names(sb: GitHubSandbox, path: str, token: str | None = "write") -> list[str] | int:
    r = http(sb, "GET", path, token)
    if r.status_code != 200:
        return r.status_code
    return [repo["full_name"] for repo in r.json()]


def test_org_repositories(sb: GitHubSandbox) -> None:
    # Default: newest first by creation (seeded repositories: by id).
    assert _names(sb, "/orgs/acme/repos") == ["acme/alpha", "acme/secret", "acme/widgets"]
    assert _names(sb, "/orgs/acme/repos", None) == ["acme/alpha", "acme/widgets"]
    assert _names(sb, "/orgs/acme/repos?type=private") == ["acme/secret"]
    assert _names(sb, "/orgs/acme/repos?type=public") == ["acme/alpha", "acme/widgets"]
    assert _names(sb, "/orgs/acme/repos?type=forks") == []
    assert _names(sb, "/orgs/acme/repos?sort=full_name") == [
        "acme/alpha",
        "acme/secret",
        "acme/widgets",
    ]
    assert _names(sb, "/orgs/acme/repos?sort=full_name&direction=desc") == [
        "acme/widgets",
        "acme/secret",
        "acme/alpha",
    ]
    assert _names(sb, "/orgs/nobody/repos") == 404
    page = http(sb, "GET", "/orgs/acme/repos?per_page=1&page=2")
    assert [r["full_name"] for r in page.json()] == ["acme/secret"]
    assert set(page.links) == {"prev", "next", "last", "first"}
    assert page.json()[0]["permissions"]["push"] is True
    assert "permissions" not in http(sb, "GET", "/orgs/acme/repos", None).json()[0]


def test_user_repositories_are_public_only(sb: GitHubSandbox) -> None:
    assert _names(sb, "/users/acme/repos") == ["acme/alpha", "acme/widgets"]
    assert _names(sb, "/users/acme/repos", None) == ["acme/alpha", "acme/widgets"]
    assert _names(sb, "/users/acme/repos?direction=desc") == ["acme/widgets", "acme/alpha"]
    assert _names(sb, "/users/acme/repos?type=member") == []
    assert _names(sb, "/users/other/repos") == ["other/thing"]
    assert _names(sb, "/users/nobody/repos") == 404


def test_installation_repositories(sb: GitHubSandbox) -> None:
    r = http(sb, "GET", "/installation/repositories?per_page=3", "read")
    assert r.status_code == 200
    body = r.json()
    assert body["total_count"] == 4
    assert body["repository_selection"] == "all"
    assert len(body["repositories"]) == 3
    assert 'rel="next"' in r.headers["link"]
    anonymous = http(sb, "GET", "/installation/repositories", None)
    assert anonymous.status_code == 401
    assert anonymous.json()["message"] == "Requires authentication"
    assert http(sb, "GET", "/installation/repositories", "bad-token").status_code == 401


def test_pygithub_lists(sb: GitHubSandbox) -> None:
    gh = sb.client(lazy=True, per_page=2)
    assert [r.full_name for r in gh.get_organization("acme").get_repos(sort="full_name")] == [
        "acme/alpha",
        "acme/secret",
        "acme/widgets",
    ]
    assert [r.full_name for r in gh.get_user("other", lazy=True).get_repos()] == ["other/thing"]
    installation = Installation(gh.requester, {}, {"id": 1})
    repos = installation.get_repos()
    assert repos.totalCount == 4
    assert sorted(r.full_name for r in repos) == [
        "acme/alpha",
        "acme/secret",
        "acme/widgets",
        "other/thing",
    ]
    anonymous = sb.client(None, lazy=True)
    assert [r.name for r in anonymous.get_organization("acme").get_repos()] == ["alpha", "widgets"]
