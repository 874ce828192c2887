"""Bytes in and out: uploads, download redirects, signed storage, browser downloads.

Everything stays on the stand-in's own ``host:port`` (PyGithub refuses other hosts or
ports): uploads at ``/uploads/repos/{o}/{r}/releases/{id}/assets`` are streamed to disk
in 1 MiB chunks while hashed; a download (``Accept: application/octet-stream``) and a
``browser_download_url`` are ``302`` redirects to a signed ``/storage/release-assets/...``
URL that serves the raw bytes.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable

from chainkit.github._names import sanitize_asset_name
from chainkit.sandbox._github import _render as render
from chainkit.sandbox._github._exchange import (
    Call,
    Exchange,
    Response,
    error,
    http_date,
    not_found,
    validation,
)
from chainkit.sandbox._github._releases import already_exists, find_asset, find_release
from chainkit.sandbox._github._store import Conflict, Row
from chainkit.sandbox._seed import MAX_ASSET_SIZE, MAX_ASSETS_PER_RELEASE

__all__ = ["OPS", "storage"]

Handler = Callable[[Exchange, Call], Response]


def _too_big(kind: str, field: str, message: str) -> Response:
    return validation(
        kind, {"resource": "ReleaseAsset", "code": "custom", "field": field, "message": message}
    )


def _upload(ex: Exchange, call: Call) -> Response:
    kind, length = call.kind, call.length
    assert call.repo is not None
    rel = find_release(ex, call)
    if rel is None:
        return not_found(kind)
    if length is None or ex.headers.get("Transfer-Encoding"):
        ex.close_connection = True
        return error(411, "Length Required: send the asset with a Content-Length", kind)
    name = call.param("name")
    if not name:
        return validation(
            kind, {"resource": "ReleaseAsset", "code": "missing_field", "field": "name"}
        )
    if rel["immutable"] and not rel["draft"]:
        return error(422, "Cannot upload assets to an immutable release.", kind)
    if length >= MAX_ASSET_SIZE:
        return _too_big(kind, "size", "size must be less than 2 GiB")
    if ex.store.count_assets(rel["id"]) >= MAX_ASSETS_PER_RELEASE:
        return _too_big(kind, "release", f"a release holds at most {MAX_ASSETS_PER_RELEASE} assets")
    sanitized = sanitize_asset_name(name)
    if ex.store.has_asset_named(rel["id"], sanitized):
        return already_exists()
    got = ex.stream_to_tmp(length)
    if got is None:
        return error(400, "Upload incomplete: the body ended before Content-Length", kind)
    tmp, sha = got
    label: str | None = call.param("label") if "label" in call.query else None
    content_type = ex.headers.get("Content-Type") or "application/octet-stream"
    try:
        asset = ex.store.add_asset(
            rel["id"],
            name=sanitized,
            label=label,
            content_type=content_type,
            size=length,
            sha256=sha,
            tmp=tmp,
        )
    except Conflict:
        tmp.unlink(missing_ok=True)
        return already_exists()
    rel = ex.store.release(call.repo["id"], rel["id"]) or rel
    resp = Response(201, render.asset_json(call.base, call.repo, rel, asset))
    resp.headers["etag"] = f'"{sha[:32]}"'
    resp.headers["last-modified"] = http_date(asset["updated_at"])
    return resp


_TOKEN = re.compile(r"[A-Za-z0-9!#$&+\-.^_`|~]+")


def content_disposition(name: str) -> str:
    """``attachment; filename=<name>`` as GitHub's storage sends it, for a name that is an
    HTTP token (every sanitized name is); otherwise RFC 6266 with an ASCII fallback and
    an RFC 8187 ``filename*``, so a raw name (CR, LF, NUL, non-ASCII) cannot add a header
    line or break the answer.
    """
    if _TOKEN.fullmatch(name):
        return f"attachment; filename={name}"
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in name)
    encoded = urllib.parse.quote(name, safe="!#$&+-.^_`|~")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _redirect(ex: Exchange, base: str, repo: Row, asset: Row) -> Response:
    resp = Response(302, b"", raw=True)
    resp.headers["content-type"] = "text/html;charset=utf-8"
    resp.headers["location"] = base + render.storage_path(ex.store.storage_key, repo["id"], asset)
    return resp


def _download(ex: Exchange, call: Call) -> Response:
    found = find_asset(ex, call)
    if found is None:
        return not_found(call.kind)
    assert call.repo is not None
    return _redirect(ex, call.base, call.repo, found[0])


def _browser_download(ex: Exchange, call: Call) -> Response:
    assert call.repo is not None
    repo, tag, name = call.repo, call.target["tag"], call.target["name"]
    rel: Row | None
    if tag.startswith("untagged-"):
        rel = next(
            (
                r
                for r in ex.store.releases(repo["id"], drafts=call.caller.can_write)
                if r["draft"] and f"untagged-{r['untagged']}" == tag
            ),
            None,
        )
    else:
        rel = ex.store.release_by_tag(repo["id"], tag)
    asset = None
    if rel is not None:
        asset = next((a for a in ex.store.assets(rel["id"]) if a["name"] == name), None)
    if asset is None:
        return Response.text(404, "Not Found")
    return _redirect(ex, call.base, repo, asset)


def storage(ex: Exchange, call: Call) -> Response:
    """``GET /storage/release-assets/{repo_id}/{asset_id}?sig=``: the raw bytes (no token)."""
    asset_id = call.target.get("asset_id")
    asset = ex.store.asset_by_id(asset_id) if asset_id else None
    if asset is None or not render.storage_sig_ok(ex.store.storage_key, asset, call.param("sig")):
        return Response.text(403, "AuthenticationFailed: signature invalid or asset gone")
    ex.store.count_download(asset["id"])
    resp = Response(200, file=ex.store.blob(asset["id"]))
    resp.headers["content-type"] = "application/octet-stream"
    resp.headers["content-disposition"] = content_disposition(asset["name"])
    resp.headers["etag"] = f'"0x{asset["sha256"][:16].upper()}"'
    resp.headers["last-modified"] = http_date(asset["updated_at"])
    resp.headers["accept-ranges"] = "none"
    return resp


OPS: dict[str, Handler] = {
    "upload": _upload,
    "download": _download,
    "browser-download": _browser_download,
}
