"""Routing of the GitHub stand-in: which operation a method and path ask for.

:func:`route` maps a request to a *kind* (the name used in the request log) and a
target (the path parameters). :data:`OPERATIONS` maps kinds to the operation ids of
GitHub's OpenAPI description. Paths are split on ``/`` before percent-decoding, so an
encoded ``%2F`` in a tag stays inside its segment, as PyGithub requires.
"""

from __future__ import annotations

from typing import Any

from chainkit.sandbox._github._exchange import int_or_none

__all__ = ["NOT_COUNTED", "NO_RATE_HEADERS", "OPERATIONS", "route"]

# kind (as logged) -> operationId in GitHub's OpenAPI description
OPERATIONS = {
    "rate-limit": "rate-limit/get",
    "get-repo": "repos/get",
    "get-environment": "repos/get-environment",
    "list-releases": "repos/list-releases",
    "create-release": "repos/create-release",
    "get-release": "repos/get-release",
    "get-release-by-tag": "repos/get-release-by-tag",
    "get-latest-release": "repos/get-latest-release",
    "update-release": "repos/update-release",
    "delete-release": "repos/delete-release",
    "list-release-assets": "repos/list-release-assets",
    "get-release-asset": "repos/get-release-asset",
    "download": "repos/get-release-asset",
    "update-release-asset": "repos/update-release-asset",
    "delete-release-asset": "repos/delete-release-asset",
    "upload": "repos/upload-release-asset",
    "list-tags": "repos/list-tags",
    "create-attestation": "repos/create-attestation",
    "list-attestations": "repos/list-attestations",
    "list-org-attestations": "orgs/list-attestations",
    "list-user-attestations": "users/list-attestations",
    "list-org-repos": "repos/list-for-org",
    "list-user-repos": "repos/list-for-user",
    "list-installation-repos": "apps/list-repos-accessible-to-installation",
}
NO_RATE_HEADERS = frozenset({"upload", "storage", "browser-download", "attestation-bundle"})
"""Kinds served without ``x-ratelimit-*`` headers (as GitHub's upload and storage hosts)."""
NOT_COUNTED = NO_RATE_HEADERS | {"rate-limit"}
"""Kinds that do not count against the primary rate limit."""

_REPO_ROUTES: dict[tuple[str, ...], dict[str, str]] = {
    (): {"GET": "get-repo"},
    ("tags",): {"GET": "list-tags"},
    ("releases",): {"GET": "list-releases", "POST": "create-release"},
    ("releases", "latest"): {"GET": "get-latest-release"},
    ("attestations",): {"POST": "create-attestation"},
}


def _split_repo(segs: list[str]) -> tuple[tuple[str, str, str] | None, list[str]]:
    if len(segs) >= 3 and segs[0] == "repos":
        return ("name", segs[1], segs[2]), segs[3:]
    if len(segs) >= 2 and segs[0] == "repositories" and int_or_none(segs[1]) is not None:
        return ("id", segs[1], ""), segs[2:]
    return None, segs


def _owner_route(method: str, segs: list[str]) -> tuple[str, dict[str, Any]]:
    """``/orgs/{org}/...``, ``/users/{username}/...`` and ``/installation/repositories``."""
    if method != "GET":
        return "unknown", {}
    if segs == ["installation", "repositories"]:
        return "list-installation-repos", {}
    if len(segs) == 3 and segs[2] == "repos":
        kind = {"orgs": "list-org-repos", "users": "list-user-repos"}.get(segs[0], "unknown")
        return kind, {"owner": segs[1]}
    if len(segs) == 4 and segs[2] == "attestations":
        kind = {"orgs": "list-org-attestations", "users": "list-user-attestations"}.get(
            segs[0], "unknown"
        )
        return kind, {"owner": segs[1], "digest": segs[3]}
    return "unknown", {}


def route(method: str, segs: list[str], accept: str) -> tuple[str, dict[str, Any]]:
    """(kind, target) for a request; kind ``unknown`` answers 404."""
    n = len(segs)
    if segs == ["rate_limit"]:
        return ("rate-limit" if method == "GET" else "unknown"), {}
    if n == 4 and segs[:2] == ["storage", "release-assets"]:
        return "storage", {"repo_id": int_or_none(segs[2]), "asset_id": int_or_none(segs[3])}
    if n == 4 and segs[:2] == ["storage", "attestations"] and segs[3].endswith(".json.sn"):
        return "attestation-bundle", {
            "repo_id": int_or_none(segs[2]),
            "attestation_id": int_or_none(segs[3][: -len(".json.sn")]),
        }
    if n >= 1 and segs[0] == "uploads":
        repo_part, rest = _split_repo(segs[1:])
        if (
            repo_part is not None
            and len(rest) == 3
            and rest[0] == "releases"
            and rest[2] == "assets"
            and method == "POST"
        ):
            return "upload", {"repo": repo_part, "release_id": int_or_none(rest[1])}
        return "unknown", {}
    if n == 6 and segs[2:4] == ["releases", "download"] and method == "GET":
        return "browser-download", {
            "repo": ("name", segs[0], segs[1]),
            "tag": segs[4],
            "name": segs[5],
        }
    if n and segs[0] in ("orgs", "users", "installation"):
        return _owner_route(method, segs)
    repo_part, r = _split_repo(segs)
    if repo_part is None:
        return "unknown", {}
    t: dict[str, Any] = {"repo": repo_part}
    kind = "unknown"
    if tuple(r) in _REPO_ROUTES:
        kind = _REPO_ROUTES[tuple(r)].get(method, "unknown")
    elif len(r) == 2 and r[0] == "environments":
        t["environment"] = r[1]
        kind = {"GET": "get-environment"}.get(method, "unknown")
    elif len(r) == 2 and r[0] == "attestations":
        t["digest"] = r[1]
        kind = {"GET": "list-attestations"}.get(method, "unknown")
    elif len(r) == 3 and r[:2] == ["releases", "tags"]:
        t["tag"] = r[2]
        kind = {"GET": "get-release-by-tag"}.get(method, "unknown")
    elif len(r) == 3 and r[:2] == ["releases", "assets"]:
        t["asset_id"] = int_or_none(r[2])
        kind = {
            "GET": "get-release-asset",
            "PATCH": "update-release-asset",
            "DELETE": "delete-release-asset",
        }.get(method, "unknown")
        if kind == "get-release-asset" and "application/octet-stream" in accept:
            kind = "download"
    elif len(r) == 2 and r[0] == "releases":
        t["release_id"] = int_or_none(r[1])
        kind = {"GET": "get-release", "PATCH": "update-release", "DELETE": "delete-release"}.get(
            method, "unknown"
        )
    elif len(r) == 3 and r[0] == "releases" and r[2] == "assets":
        t["release_id"] = int_or_none(r[1])
        kind = {"GET": "list-release-assets", "POST": "upload"}.get(method, "unknown")
    if kind != "unknown" and any(v is None for k, v in t.items() if k.endswith("_id")):
        kind = "unknown"
    return kind, t
