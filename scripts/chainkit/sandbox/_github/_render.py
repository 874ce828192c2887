"""JSON bodies of the GitHub stand-in, shaped as GitHub's OpenAPI schemas say.

Every absolute URL is built from the server's own base URL, so clients that follow
hypermedia (``upload_url``, asset ``url``, ``Link``) stay on the stand-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import quote

from chainkit.sandbox._github._store import Row

__all__ = [
    "asset_json",
    "environment_json",
    "release_json",
    "repo_json",
    "storage_path",
    "tag_json",
    "user_json",
]

SANDBOX_USER = "sandbox-user"
SANDBOX_USER_ID = 583231


def _node(kind: str, ident: int | str) -> str:
    raw = base64.b64encode(f"{kind}:{ident}".encode()).decode().rstrip("=")
    return f"{kind}_{raw}"


def user_json(base: str, login: str, ident: int, *, kind: str = "User") -> dict[str, Any]:
    api = f"{base}/users/{quote(login)}"
    return {
        "login": login,
        "id": ident,
        "node_id": _node("U", ident),
        "avatar_url": f"{base}/avatars/u/{ident}",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{base}/{quote(login)}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": kind,
        "user_view_type": "public",
        "site_admin": False,
    }


def sandbox_user(base: str) -> dict[str, Any]:
    return user_json(base, SANDBOX_USER, SANDBOX_USER_ID)


def _owner_id(owner: str) -> int:
    return 10_000 + int(hashlib.sha256(owner.lower().encode()).hexdigest()[:6], 16)


def repo_json(base: str, repo: Row, *, can_write: bool | None) -> dict[str, Any]:
    """A ``full-repository``; ``permissions`` appear for authenticated callers."""
    owner, name = repo["owner"], repo["name"]
    full = f"{owner}/{name}"
    api = f"{base}/repos/{full}"
    html = f"{base}/{full}"
    created = repo["created_at"]
    body: dict[str, Any] = {
        "id": repo["id"],
        "node_id": _node("R", repo["id"]),
        "name": name,
        "full_name": full,
        "owner": user_json(base, owner, _owner_id(owner), kind="Organization"),
        "private": bool(repo["private"]),
        "html_url": html,
        "description": f"{name} (chainkit sandbox)",
        "fork": False,
        "url": api,
        "archive_url": f"{api}/{{archive_format}}{{/ref}}",
        "assignees_url": f"{api}/assignees{{/user}}",
        "blobs_url": f"{api}/git/blobs{{/sha}}",
        "branches_url": f"{api}/branches{{/branch}}",
        "collaborators_url": f"{api}/collaborators{{/collaborator}}",
        "comments_url": f"{api}/comments{{/number}}",
        "commits_url": f"{api}/commits{{/sha}}",
        "compare_url": f"{api}/compare/{{base}}...{{head}}",
        "contents_url": f"{api}/contents/{{+path}}",
        "contributors_url": f"{api}/contributors",
        "deployments_url": f"{api}/deployments",
        "downloads_url": f"{api}/downloads",
        "events_url": f"{api}/events",
        "forks_url": f"{api}/forks",
        "git_commits_url": f"{api}/git/commits{{/sha}}",
        "git_refs_url": f"{api}/git/refs{{/sha}}",
        "git_tags_url": f"{api}/git/tags{{/sha}}",
        "git_url": f"git://sandbox.invalid/{full}.git",
        "issue_comment_url": f"{api}/issues/comments{{/number}}",
        "issue_events_url": f"{api}/issues/events{{/number}}",
        "issues_url": f"{api}/issues{{/number}}",
        "keys_url": f"{api}/keys{{/key_id}}",
        "labels_url": f"{api}/labels{{/name}}",
        "languages_url": f"{api}/languages",
        "merges_url": f"{api}/merges",
        "milestones_url": f"{api}/milestones{{/number}}",
        "notifications_url": f"{api}/notifications{{?since,all,participating}}",
        "pulls_url": f"{api}/pulls{{/number}}",
        "releases_url": f"{api}/releases{{/id}}",
        "ssh_url": f"git@sandbox.invalid:{full}.git",
        "stargazers_url": f"{api}/stargazers",
        "statuses_url": f"{api}/statuses/{{sha}}",
        "subscribers_url": f"{api}/subscribers",
        "subscription_url": f"{api}/subscription",
        "tags_url": f"{api}/tags",
        "teams_url": f"{api}/teams",
        "trees_url": f"{api}/git/trees{{/sha}}",
        "clone_url": f"{html}.git",
        "mirror_url": None,
        "hooks_url": f"{api}/hooks",
        "svn_url": html,
        "homepage": None,
        "language": "Python",
        "forks_count": 0,
        "forks": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "watchers": 0,
        "size": 0,
        "default_branch": repo["default_branch"],
        "open_issues_count": 0,
        "open_issues": 0,
        "is_template": False,
        "topics": [],
        "has_issues": True,
        "has_projects": False,
        "has_wiki": False,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "visibility": "private" if repo["private"] else "public",
        "pushed_at": created,
        "created_at": created,
        "updated_at": created,
        "allow_forking": True,
        "web_commit_signoff_required": False,
        "license": None,
        "network_count": 0,
        "subscribers_count": 0,
    }
    if can_write is not None:
        body["permissions"] = {
            "admin": False,
            "maintain": False,
            "push": can_write,
            "triage": can_write,
            "pull": True,
        }
    return body


def _team_json(base: str, org: str, slug: str) -> dict[str, Any]:
    ident = 9_000_000 + int(hashlib.sha256(f"{org}/{slug}".encode()).hexdigest()[:5], 16)
    api = f"{base}/organizations/{_owner_id(org)}/team/{ident}"
    return {
        "id": ident,
        "node_id": _node("T", ident),
        "url": api,
        "html_url": f"{base}/orgs/{quote(org)}/teams/{quote(slug)}",
        "name": slug,
        "slug": slug,
        "description": None,
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": "pull",
        "members_url": f"{api}/members{{/member}}",
        "repositories_url": f"{api}/repos",
        "type": "organization",
        "organization_id": _owner_id(org),
        "parent": None,
    }


def environment_json(base: str, repo: Row, env: Row) -> dict[str, Any]:
    """An ``environment``; reviewers ``@login`` are users, other names team slugs."""
    full = f"{repo['owner']}/{repo['name']}"
    reviewers = [r for r in str(env["reviewers"]).split("\n") if r]
    rules: list[dict[str, Any]] = []
    if reviewers:
        entries = []
        for r in reviewers:
            if r.startswith("@"):
                login = r[1:]
                ident = 20_000 + int(hashlib.sha256(login.encode()).hexdigest()[:6], 16)
                entries.append({"type": "User", "reviewer": user_json(base, login, ident)})
            else:
                org, _, slug = r.rpartition("/")
                entries.append(
                    {"type": "Team", "reviewer": _team_json(base, org or repo["owner"], slug)}
                )
        rules.append(
            {
                "id": env["id"] * 10 + 1,
                "node_id": _node("GA", env["id"] * 10 + 1),
                "prevent_self_review": False,
                "type": "required_reviewers",
                "reviewers": entries,
            }
        )
    return {
        "id": env["id"],
        "node_id": _node("EN", env["id"]),
        "name": env["name"],
        "url": f"{base}/repos/{full}/environments/{quote(env['name'], safe='')}",
        "html_url": f"{base}/{full}/deployments/activity_log?environments_filter="
        + quote(env["name"], safe=""),
        "created_at": env["created_at"],
        "updated_at": env["created_at"],
        "can_admins_bypass": True,
        "protection_rules": rules,
    }


def _tag_segment(release: Row) -> str:
    if release["draft"]:
        return f"untagged-{release['untagged']}"
    return quote(release["tag"], safe="")


def storage_path(key: str, repo_id: int, asset: Row) -> str:
    """Path and query of an asset's signed "storage" URL (same host, like a CDN URL)."""
    sig = hmac.new(key.encode(), f"{asset['id']}:{asset['sha256']}".encode(), "sha256")
    disposition = quote(f"attachment; filename={asset['name']}", safe="")
    return (
        f"/storage/release-assets/{repo_id}/{asset['id']}?sig={sig.hexdigest()[:40]}"
        f"&response-content-disposition={disposition}"
        "&response-content-type=application%2Foctet-stream"
    )


def storage_sig_ok(key: str, asset: Row, sig: str) -> bool:
    want = hmac.new(key.encode(), f"{asset['id']}:{asset['sha256']}".encode(), "sha256")
    return hmac.compare_digest(want.hexdigest()[:40], sig)


def asset_json(base: str, repo: Row, release: Row, asset: Row) -> dict[str, Any]:
    full = f"{repo['owner']}/{repo['name']}"
    body: dict[str, Any] = {
        "url": f"{base}/repos/{full}/releases/assets/{asset['id']}",
        "id": asset["id"],
        "node_id": _node("RA", asset["id"]),
        "name": asset["name"],
        "label": asset["label"],
        "uploader": sandbox_user(base),
        "content_type": asset["content_type"],
        "state": asset["state"],
        "size": asset["size"],
        "digest": asset["digest"],
        "download_count": asset["download_count"],
        "created_at": asset["created_at"],
        "updated_at": asset["updated_at"],
        "browser_download_url": f"{base}/{full}/releases/download/"
        f"{_tag_segment(release)}/{quote(asset['name'], safe='')}",
    }
    if asset["digest_mode"] == "absent":
        del body["digest"]
    return body


def release_json(base: str, repo: Row, release: Row, assets: list[Row]) -> dict[str, Any]:
    full = f"{repo['owner']}/{repo['name']}"
    url = f"{base}/repos/{full}/releases/{release['id']}"
    tag_q = quote(release["tag"], safe="")
    return {
        "url": url,
        "assets_url": f"{url}/assets",
        "upload_url": f"{base}/uploads/repos/{full}/releases/{release['id']}/assets{{?name,label}}",
        "html_url": f"{base}/{full}/releases/tag/{_tag_segment(release)}",
        "id": release["id"],
        "author": sandbox_user(base),
        "node_id": _node("RE", release["id"]),
        "tag_name": release["tag"],
        "target_commitish": release["target_commitish"],
        "name": release["name"],
        "draft": bool(release["draft"]),
        "immutable": bool(release["immutable"]),
        "prerelease": bool(release["prerelease"]),
        "created_at": release["created_at"],
        "updated_at": release["updated_at"],
        "published_at": release["published_at"],
        "assets": [asset_json(base, repo, release, a) for a in assets],
        "tarball_url": None if release["draft"] else f"{base}/repos/{full}/tarball/{tag_q}",
        "zipball_url": None if release["draft"] else f"{base}/repos/{full}/zipball/{tag_q}",
        "body": release["body"],
    }


def tag_json(base: str, repo: Row, tag: str, sha: str | None = None) -> dict[str, Any]:
    full = f"{repo['owner']}/{repo['name']}"
    sha = sha or hashlib.sha1(f"{full}\0{tag}".encode(), usedforsecurity=False).hexdigest()
    tag_q = quote(tag, safe="")
    return {
        "name": tag,
        "zipball_url": f"{base}/repos/{full}/zipball/refs/tags/{tag_q}",
        "tarball_url": f"{base}/repos/{full}/tarball/refs/tags/{tag_q}",
        "commit": {"sha": sha, "url": f"{base}/repos/{full}/commits/{sha}"},
        "node_id": _node("REF", f"{full}:{tag}"),
    }
