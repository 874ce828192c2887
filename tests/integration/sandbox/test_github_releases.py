"""Releases through the real PyGithub client: pagination, drafts, latest, create/edit/delete."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import requests
from github import GithubException, UnknownObjectException

from _plugins.github import OPENAPI_PATH, GitHubSandbox
from _plugins.sandbox import release, seed
from chainkit.sandbox._seed import load_seed


def _many(n: int, *, drafts: int = 0) -> dict[str, Any]:
    """``n`` published releases (one a day, oldest first) and ``drafts`` drafts."""
    published = [
        release(
            f"v{i}.0.0",
            published_at=f"{2000 + i // 336}-{i // 28 % 12 + 1:02d}-{i % 28 + 1:02d}T12:00:00Z",
        )
        for i in range(n)
    ]
    drafted = [release(f"d{i}", draft=True) for i in range(drafts)]
    return seed("acme/many", releases=published + drafted)


@pytest.fixture
def many(github_sandbox_factory: Callable[..., GitHubSandbox]) -> GitHubSandbox:
    return github_sandbox_factory(_many(250))


def test_lists_250_releases_in_three_pages(many: GitHubSandbox) -> None:
    g = many.client(per_page=100)
    repo = g.get_repo("acme/many")
    releases = list(repo.get_releases())
    assert len(releases) == 250
    assert len({r.id for r in releases}) == 250
    stamps = [r.published_at for r in releases]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    assert repo.get_releases().totalCount == 250
    kinds = [e for e in many.requests_log() if e["kind"] == "list-releases"]
    pages = [e["query"] for e in kinds]
    assert pages[:3] == ["per_page=100", "page=2&per_page=100", "page=3&per_page=100"]


def test_link_headers_exactly(many: GitHubSandbox) -> None:
    repo_id = many.client().get_repo("acme/many").id
    auth = {"Authorization": f"token {many.write_token}"}
    base = f"{many.url}/repositories/{repo_id}/releases"

    def link(query: str) -> str | None:
        r = requests.get(f"{many.url}/repos/acme/many/releases?{query}", headers=auth, timeout=30)
        assert r.status_code == 200
        return r.headers.get("link")

    assert link("per_page=100") == (
        f'<{base}?per_page=100&page=2>; rel="next", <{base}?per_page=100&page=3>; rel="last"'
    )
    assert link("per_page=100&page=2") == (
        f'<{base}?per_page=100&page=1>; rel="prev", <{base}?per_page=100&page=3>; rel="next", '
        f'<{base}?per_page=100&page=3>; rel="last", <{base}?per_page=100&page=1>; rel="first"'
    )
    assert link("per_page=100&page=3") == (
        f'<{base}?per_page=100&page=2>; rel="prev", <{base}?per_page=100&page=1>; rel="first"'
    )
    # Default per_page (30) is not repeated in the links; 250 / 30 -> 9 pages.
    assert link("") == f'<{base}?page=2>; rel="next", <{base}?page=9>; rel="last"'
    # per_page above 100 is silently capped.
    assert link("per_page=500") == (
        f'<{base}?per_page=100&page=2>; rel="next", <{base}?per_page=100&page=3>; rel="last"'
    )
    r = requests.get(f"{base}?per_page=500&page=3", headers=auth, timeout=30)
    assert len(r.json()) == 50
    # A page past the end is empty, without Link.
    r = requests.get(f"{base}?per_page=100&page=4", headers=auth, timeout=30)
    assert r.json() == [] and "link" not in r.headers


def test_one_page_has_no_link(github_sandbox: GitHubSandbox) -> None:
    r = requests.get(
        f"{github_sandbox.url}/repos/acme/widgets/releases",
        headers={"Authorization": f"token {github_sandbox.write_token}"},
        timeout=30,
    )
    assert len(r.json()) == 3
    assert "link" not in r.headers


def test_drafts_are_listed_for_push_access_only(
    github_sandbox_factory: Callable[..., GitHubSandbox],
) -> None:
    sb = github_sandbox_factory(_many(3, drafts=2))
    writer = [r.tag_name for r in sb.client().get_repo("acme/many").get_releases()]
    assert writer[:2] == ["d1", "d0"]  # drafts first, newest created first
    assert writer[2:] == ["v2.0.0", "v1.0.0", "v0.0.0"]
    reader = [r.tag_name for r in sb.client("read").get_repo("acme/many").get_releases()]
    anonymous = [r.tag_name for r in sb.client(None).get_repo("acme/many").get_releases()]
    assert reader == anonymous == ["v2.0.0", "v1.0.0", "v0.0.0"]


def test_draft_details(github_sandbox: GitHubSandbox) -> None:
    repo = github_sandbox.client().get_repo("acme/widgets")
    draft = next(r for r in repo.get_releases() if r.draft)
    assert draft.published_at is None
    assert re.search(r"/releases/tag/untagged-[0-9a-f]{20}$", draft.html_url)
    with pytest.raises(UnknownObjectException):
        repo.get_release(draft.tag_name)  # by tag: 404 even with push access
    assert repo.get_release(draft.id).draft is True  # by id: fine with push access
    reader = github_sandbox.client("read").get_repo("acme/widgets")
    with pytest.raises(UnknownObjectException):
        reader.get_release(draft.id)


def test_get_by_tag_latest_and_missing(github_sandbox: GitHubSandbox) -> None:
    repo = github_sandbox.client("read").get_repo("acme/widgets")
    rel = repo.get_release("v1.2.0")
    assert rel.name == "Widgets 1.2.0"
    assert rel.upload_url.startswith(f"{github_sandbox.url}/uploads/repos/acme/widgets/releases/")
    assert rel.upload_url.endswith("/assets{?name,label}")
    assert repo.get_latest_release().tag_name == "v1.2.0"
    with pytest.raises(UnknownObjectException):
        repo.get_release("v0.0.0")


def test_tag_with_slash_and_space(github_sandbox: GitHubSandbox) -> None:
    repo = github_sandbox.client().get_repo("acme/widgets")
    created = repo.create_git_release("v1.0 beta/x", "odd", "tag needs quoting")
    assert repo.get_release("v1.0 beta/x").id == created.id
    assert any(
        e["path"].endswith("/releases/tags/v1.0%20beta%2Fx") for e in github_sandbox.requests_log()
    )


def test_create_edit_delete(github_sandbox: GitHubSandbox) -> None:
    repo = github_sandbox.client().get_repo("acme/widgets")
    rel = repo.create_git_release("v2.0.0", "Widgets 2", "notes", draft=True)
    assert rel.draft and rel.published_at is None
    # Editing the notes of a draft keeps it a draft when draft=True is passed.
    edited = rel.update_release("Widgets 2", "better notes", draft=True)
    assert edited.draft and edited.body == "better notes"
    assert repo.get_release(rel.id).body == "better notes"
    # PyGithub's default draft=False publishes it.
    published = rel.update_release("Widgets 2", "final notes")
    assert not published.draft and published.published_at is not None
    assert repo.get_latest_release().tag_name == "v2.0.0"
    with pytest.raises(GithubException) as info:
        repo.create_git_release("v2.0.0", "again", "dup")
    assert info.value.status == 422
    assert info.value.data["errors"][0] == {
        "resource": "Release",
        "code": "already_exists",
        "field": "tag_name",
    }
    rel.delete_release()
    with pytest.raises(UnknownObjectException):
        repo.get_release(rel.id)
    assert repo.get_latest_release().tag_name == "v1.2.0"


def test_prerelease_is_never_latest(github_sandbox: GitHubSandbox) -> None:
    repo = github_sandbox.client().get_repo("acme/widgets")
    repo.create_git_release("v3.0.0rc1", "rc", "", prerelease=True)
    assert repo.get_latest_release().tag_name == "v1.2.0"
    repo.create_git_release("v1.2.1", "patch", "", make_latest="false")
    assert repo.get_latest_release().tag_name == "v1.2.0"


def test_list_tags(github_sandbox: GitHubSandbox) -> None:
    repo = github_sandbox.client().get_repo("acme/widgets")
    tags = [t.name for t in repo.get_tags()]
    assert tags == ["v1.2.0", "v1.1.0"]  # drafts have no tag yet
    assert all(len(t.commit.sha) == 40 for t in repo.get_tags())


def test_environment_protection(github_sandbox_factory: Callable[..., GitHubSandbox]) -> None:
    sb = github_sandbox_factory(load_seed(OPENAPI_PATH.parent / "seed-small.yaml"))
    repo = sb.client().get_repo("acme/widgets")
    env = repo.get_environment("sigstore-backfill")
    assert env.name == "sigstore-backfill"
    (rule,) = env.protection_rules
    assert rule.type == "required_reviewers"
    raw = requests.get(
        f"{sb.url}/repos/acme/widgets/environments/sigstore-backfill",
        headers={"Authorization": f"token {sb.write_token}"},
        timeout=30,
    ).json()
    reviewers = raw["protection_rules"][0]["reviewers"]
    assert [
        (r["type"], r["reviewer"].get("slug") or r["reviewer"]["login"]) for r in reviewers
    ] == [
        ("Team", "release-team"),
        ("User", "octocat"),
    ]
    assert repo.get_environment("docs").protection_rules == []
    with pytest.raises(UnknownObjectException):
        repo.get_environment("nope")
