"""Repository lists: of an organization, of a user, of the app installation.

- ``GET /orgs/{org}/repos`` (``type`` all|public|private|forks|sources|member, ``sort``
  created|updated|pushed|full_name, ``direction``): private repositories only for
  callers with a token;
- ``GET /users/{username}/repos`` (``type`` owner|all|member): public repositories only;
- ``GET /installation/repositories``: every repository the token can reach (sandbox
  tokens act as installation tokens with access to all seeded repositories), as
  ``{"total_count", "repositories", "repository_selection": "all"}``.

Every seeded owner is served both as an organization and as a user (the seed does not
say which it is). An owner without repositories is ``404``. Unknown ``type``, ``sort`` or
``direction`` values fall back to the defaults. Pages use ``page``/``per_page``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from chainkit.sandbox._github import _render as render
from chainkit.sandbox._github._exchange import Call, Exchange, Response, error, not_found
from chainkit.sandbox._github._paging import page_of, paged
from chainkit.sandbox._github._store import Row

__all__ = ["OPS"]

Handler = Callable[[Exchange, Call], Response]

_SORTS = ("created", "updated", "pushed", "full_name")


def _sorted(rows: list[Row], call: Call, default_sort: str) -> list[Row]:
    sort = call.param("sort", default_sort)
    if sort not in _SORTS:
        sort = default_sort
    direction = call.param("direction")
    if direction not in ("asc", "desc"):
        direction = "asc" if sort == "full_name" else "desc"

    def key(r: Row) -> Any:
        if sort == "full_name":
            return (f"{r['owner']}/{r['name']}".lower(), r["id"])
        return (r["created_at"], r["id"])  # never pushed or updated after seeding

    return sorted(rows, key=key, reverse=direction == "desc")


def _render_page(call: Call, rows: list[Row], link_base: str) -> tuple[list[Any], Any]:
    page = page_of(rows, call.query)
    perm = call.caller.can_write if call.caller.authenticated else None
    return [render.repo_json(call.base, r, can_write=perm) for r in page.items], page


def _org_repos(ex: Exchange, call: Call) -> Response:
    owner = call.target["owner"]
    repos = ex.store.repos(owner)
    if not repos:
        return not_found(call.kind)
    visible = [r for r in repos if call.caller.authenticated or not r["private"]]
    kind = call.param("type", "all")
    if kind == "public":
        visible = [r for r in visible if not r["private"]]
    elif kind == "private":
        visible = [r for r in visible if r["private"]]
    elif kind == "forks":
        visible = []  # seeded repositories are never forks
    rows = _sorted(visible, call, "created")
    link_base = f"{call.base}/orgs/{quote(owner, safe='')}/repos"
    items, page = _render_page(call, rows, link_base)
    return paged(items, page, link_base)


def _user_repos(ex: Exchange, call: Call) -> Response:
    owner = call.target["owner"]
    repos = ex.store.repos(owner)
    if not repos:
        return not_found(call.kind)
    public = [r for r in repos if not r["private"]]
    if call.param("type", "owner") == "member":
        public = []  # the owner is no collaborator of other owners' repositories
    rows = _sorted(public, call, "full_name")
    link_base = f"{call.base}/users/{quote(owner, safe='')}/repos"
    items, page = _render_page(call, rows, link_base)
    return paged(items, page, link_base)


def _installation_repos(ex: Exchange, call: Call) -> Response:
    if not call.caller.authenticated:
        return error(401, "Requires authentication", call.kind)
    rows = ex.store.repos()
    link_base = f"{call.base}/installation/repositories"
    items, page = _render_page(call, rows, link_base)
    body = {"total_count": len(rows), "repositories": items, "repository_selection": "all"}
    return paged(body, page, link_base)


OPS: dict[str, Handler] = {
    "list-org-repos": _org_repos,
    "list-user-repos": _user_repos,
    "list-installation-repos": _installation_repos,
}
