"""Releases, release assets (metadata), tags, environments and the repository itself.

Operation handlers for the ``/repos/{owner}/{repo}`` routes that read or change release
metadata. Bytes in and out (uploads, downloads, storage) live in ``_transfer``. Each
handler gets the :class:`~chainkit.sandbox._github._exchange.Call` with the repository
already resolved and write access already checked by dispatch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainkit.github._names import sanitize_asset_name
from chainkit.sandbox._github import _render as render
from chainkit.sandbox._github._exchange import (
    Call,
    Exchange,
    Response,
    error,
    not_found,
    validation,
)
from chainkit.sandbox._github._paging import page_of, paged, paginate
from chainkit.sandbox._github._store import Conflict, Row

__all__ = ["OPS", "already_exists", "find_asset", "find_release"]

Handler = Callable[[Exchange, Call], Response]


def already_exists() -> Response:
    """The exact 422 GitHub gives for a duplicate asset name."""
    return Response(
        422,
        {
            "message": "Validation Failed",
            "errors": [{"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}],
            "documentation_url": "https://docs.github.com/rest/releases/assets"
            "#upload-a-release-asset",
        },
    )


def _repo(call: Call) -> Row:
    assert call.repo is not None
    return call.repo


def find_release(ex: Exchange, call: Call) -> Row | None:
    """The release of ``call.target['release_id']``; drafts only for callers with push access."""
    rel = ex.store.release(_repo(call)["id"], call.target["release_id"])
    if rel is None or (rel["draft"] and not call.caller.can_write):
        return None
    return rel


def find_asset(ex: Exchange, call: Call) -> tuple[Row, Row] | None:
    """(asset, its release) of ``call.target['asset_id']``, hiding assets of hidden drafts."""
    asset = ex.store.asset(_repo(call)["id"], call.target["asset_id"])
    if asset is None:
        return None
    rel = ex.store.release_of_asset(asset)
    if rel["draft"] and not call.caller.can_write:
        return None
    return asset, rel


def _get_repo(ex: Exchange, call: Call) -> Response:
    perm = call.caller.can_write if call.caller.authenticated else None
    return Response(200, render.repo_json(call.base, _repo(call), can_write=perm))


def _get_environment(ex: Exchange, call: Call) -> Response:
    env = ex.store.environment(_repo(call)["id"], call.target["environment"])
    if env is None:
        return not_found(call.kind)
    return Response(200, render.environment_json(call.base, _repo(call), env))


def _list_tags(ex: Exchange, call: Call) -> Response:
    repo = _repo(call)
    tags = [render.tag_json(call.base, repo, r["tag"], r["sha"]) for r in ex.store.tags(repo["id"])]
    return paginate(tags, call.query, f"{call.base}/repositories/{repo['id']}/tags")


def _list_releases(ex: Exchange, call: Call) -> Response:
    repo = _repo(call)
    page = page_of(ex.store.releases(repo["id"], drafts=call.caller.can_write), call.query)
    assets = ex.store.assets_of([r["id"] for r in page.items])
    items = [render.release_json(call.base, repo, r, assets[r["id"]]) for r in page.items]
    return paged(items, page, f"{call.base}/repositories/{repo['id']}/releases")


def _release_response(ex: Exchange, call: Call, rel: Row | None) -> Response:
    if rel is None:
        return not_found(call.kind)
    resp = Response(
        200, render.release_json(call.base, _repo(call), rel, ex.store.assets(rel["id"]))
    )
    resp.last_modified = rel["updated_at"]
    return resp


def _get_latest(ex: Exchange, call: Call) -> Response:
    return _release_response(ex, call, ex.store.latest_release(_repo(call)["id"]))


def _get_by_tag(ex: Exchange, call: Call) -> Response:
    return _release_response(
        ex, call, ex.store.release_by_tag(_repo(call)["id"], call.target["tag"])
    )


def _get_release(ex: Exchange, call: Call) -> Response:
    return _release_response(ex, call, find_release(ex, call))


_RELEASE_FIELDS = {
    "tag_name": ("tag", str),
    "target_commitish": ("target_commitish", str),
    "name": ("name", str),
    "body": ("body", str),
    "draft": ("draft", bool),
    "prerelease": ("prerelease", bool),
}


def _release_fields(data: dict[str, Any], kind: str) -> tuple[Row, Response | None]:
    fields: Row = {}
    for key, (col, typ) in _RELEASE_FIELDS.items():
        if key not in data:
            continue
        value = data[key]
        if value is None and key in ("name", "body"):
            fields[col] = None
            continue
        if not isinstance(value, typ):
            return fields, validation(
                kind, {"resource": "Release", "code": "invalid", "field": key}
            )
        fields[col] = value
    make_latest = data.get("make_latest")
    if make_latest is not None and make_latest not in ("true", "false", "legacy"):
        return fields, validation(
            kind, {"resource": "Release", "code": "invalid", "field": "make_latest"}
        )
    if "tag" in fields and not fields["tag"].strip():
        return fields, validation(
            kind, {"resource": "Release", "code": "missing_field", "field": "tag_name"}
        )
    return fields, None


def _create_release(ex: Exchange, call: Call) -> Response:
    repo, kind, base = _repo(call), call.kind, call.base
    data, bad = ex.json_body(kind)
    if bad is not None:
        return bad
    fields, bad = _release_fields(data, kind)
    if bad is not None:
        return bad
    if "tag" not in fields:
        return validation(
            kind, {"resource": "Release", "code": "missing_field", "field": "tag_name"}
        )
    fields.setdefault("target_commitish", repo["default_branch"])
    fields.setdefault("draft", False)
    fields.setdefault("prerelease", False)
    fields.setdefault("body", None)
    if data.get("generate_release_notes") is True:
        fields.setdefault("name", fields["tag"])
        notes = f"**Full Changelog**: {base}/{repo['owner']}/{repo['name']}/commits/"
        fields["body"] = (fields["body"] or "") + notes + fields["tag"]
    fields.setdefault("name", None)
    try:
        rel = ex.store.create_release(repo["id"], fields, make_latest=data.get("make_latest"))
    except Conflict:
        return validation(
            kind, {"resource": "Release", "code": "already_exists", "field": "tag_name"}
        )
    resp = Response(201, render.release_json(base, repo, rel, []))
    resp.headers["location"] = resp.body["url"]
    return resp


def _update_release(ex: Exchange, call: Call) -> Response:
    repo, kind = _repo(call), call.kind
    rel = find_release(ex, call)
    if rel is None:
        return not_found(kind)
    data, bad = ex.json_body(kind)
    if bad is not None:
        return bad
    changes, bad = _release_fields(data, kind)
    if bad is not None:
        return bad
    if rel["immutable"] and not rel["draft"] and changes.get("tag", rel["tag"]) != rel["tag"]:
        return error(422, "Cannot change the tag of an immutable release.", kind)
    try:
        new = ex.store.update_release(
            repo["id"], rel["id"], changes, make_latest=data.get("make_latest")
        )
    except Conflict:
        return validation(
            kind, {"resource": "Release", "code": "already_exists", "field": "tag_name"}
        )
    return Response(200, render.release_json(call.base, repo, new, ex.store.assets(new["id"])))


def _delete_release(ex: Exchange, call: Call) -> Response:
    rel = find_release(ex, call)
    if rel is None:
        return not_found(call.kind)
    ex.store.delete_release(rel["id"])
    return Response(204)


def _list_assets(ex: Exchange, call: Call) -> Response:
    rel = find_release(ex, call)
    if rel is None:
        return not_found(call.kind)
    repo = _repo(call)
    page = page_of(ex.store.assets(rel["id"]), call.query)
    items = [render.asset_json(call.base, repo, rel, a) for a in page.items]
    return paged(items, page, f"{call.base}/repositories/{repo['id']}/releases/{rel['id']}/assets")


def _get_asset(ex: Exchange, call: Call) -> Response:
    found = find_asset(ex, call)
    if found is None:
        return not_found(call.kind)
    asset, rel = found
    resp = Response(200, render.asset_json(call.base, _repo(call), rel, asset))
    resp.last_modified = asset["updated_at"]
    return resp


def _mutable_asset(ex: Exchange, call: Call) -> tuple[Row, Row] | Response:
    found = find_asset(ex, call)
    if found is None:
        return not_found(call.kind)
    if found[1]["immutable"] and not found[1]["draft"]:
        return error(422, "Cannot modify assets of an immutable release.", call.kind)
    return found


def _delete_asset(ex: Exchange, call: Call) -> Response:
    found = _mutable_asset(ex, call)
    if isinstance(found, Response):
        return found
    ex.store.delete_asset(found[0]["id"])
    return Response(204)


def _update_asset(ex: Exchange, call: Call) -> Response:
    found = _mutable_asset(ex, call)
    if isinstance(found, Response):
        return found
    asset, rel = found
    data, bad = ex.json_body(call.kind)
    if bad is not None:
        return bad
    changes: Row = {}
    for key in ("name", "label", "state"):
        if key in data:
            if not isinstance(data[key], str):
                return validation(
                    call.kind, {"resource": "ReleaseAsset", "code": "invalid", "field": key}
                )
            changes[key] = data[key]
    if "name" in changes:
        changes["name"] = sanitize_asset_name(changes["name"])
    try:
        new = ex.store.update_asset(asset["id"], changes)
    except Conflict:
        return already_exists()
    return Response(200, render.asset_json(call.base, _repo(call), rel, new))


OPS: dict[str, Handler] = {
    "get-repo": _get_repo,
    "get-environment": _get_environment,
    "list-tags": _list_tags,
    "list-releases": _list_releases,
    "create-release": _create_release,
    "get-latest-release": _get_latest,
    "get-release-by-tag": _get_by_tag,
    "get-release": _get_release,
    "update-release": _update_release,
    "delete-release": _delete_release,
    "list-release-assets": _list_assets,
    "get-release-asset": _get_asset,
    "update-release-asset": _update_asset,
    "delete-release-asset": _delete_asset,
}
