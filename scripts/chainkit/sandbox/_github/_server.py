"""The HTTP server of the GitHub stand-in.

One :class:`GitHubStandIn` serves, on one ``host:port``:

- the REST API operations chainkit and PyGithub use (releases, assets, tags, environments,
  ``/rate_limit``), under ``/repos/{owner}/{repo}/...`` and ``/repositories/{id}/...``;
- uploads at ``/uploads/repos/{owner}/{repo}/releases/{id}/assets`` (the ``upload_url``);
- asset "storage" at ``/storage/release-assets/...`` (where downloads are redirected);
- test-only admin endpoints under ``/_sandbox/`` (faults, request log, drift).

See docs/sandbox.md for the behaviours reproduced and the choices made where GitHub's
behaviour is not documented.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import json
import logging
import math
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from chainkit.github._names import sanitize_asset_name
from chainkit.sandbox._errors import SandboxServiceError, SandboxUsageError
from chainkit.sandbox._github import _render as render
from chainkit.sandbox._github._store import Conflict, Row, Store, now_iso
from chainkit.sandbox._http import LoopbackServer, TrackedHandler, bind, serve, shut_down
from chainkit.sandbox._seed import MAX_ASSET_SIZE, MAX_ASSETS_PER_RELEASE, Seed

__all__ = ["GitHubStandIn", "ObservedResponse"]

_log = logging.getLogger("chainkit.sandbox.github")

CHUNK = 1024 * 1024
TOKEN_LIMIT = 5000
ANONYMOUS_LIMIT = 60
WINDOW = 3600
MAX_JSON_BODY = 8 * 1024 * 1024
API_VERSION = "2022-11-28"
DOCS = "https://docs.github.com/rest"
_DOC = {
    "rate-limit": f"{DOCS}/rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user",
    "get-repo": f"{DOCS}/repos/repos#get-a-repository",
    "get-environment": f"{DOCS}/deployments/environments#get-an-environment",
    "list-releases": f"{DOCS}/releases/releases#list-releases",
    "create-release": f"{DOCS}/releases/releases#create-a-release",
    "get-release": f"{DOCS}/releases/releases#get-a-release",
    "get-release-by-tag": f"{DOCS}/releases/releases#get-a-release-by-tag-name",
    "get-latest-release": f"{DOCS}/releases/releases#get-the-latest-release",
    "update-release": f"{DOCS}/releases/releases#update-a-release",
    "delete-release": f"{DOCS}/releases/releases#delete-a-release",
    "list-release-assets": f"{DOCS}/releases/assets#list-release-assets",
    "get-release-asset": f"{DOCS}/releases/assets#get-a-release-asset",
    "download": f"{DOCS}/releases/assets#get-a-release-asset",
    "update-release-asset": f"{DOCS}/releases/assets#update-a-release-asset",
    "delete-release-asset": f"{DOCS}/releases/assets#delete-a-release-asset",
    "upload": f"{DOCS}/releases/assets#upload-a-release-asset",
    "list-tags": f"{DOCS}/repos/repos#list-repository-tags",
}
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
}
_NOT_COUNTED = {"rate-limit", "upload", "storage", "browser-download"}
_NO_RATE_HEADERS = {"upload", "storage", "browser-download"}


@dataclass(frozen=True)
class ObservedResponse:
    """One response the stand-in served, as given to a ``response_observer``."""

    method: str
    path: str
    """Raw (still percent-encoded) path, without the query."""
    query: str
    status: int
    headers: Mapping[str, str]
    """Response headers, names in lower case."""
    body: bytes | None
    """The body, or ``None`` when it was streamed from a file (storage downloads)."""
    kind: str
    operation_id: str | None
    fault: bool = False
    """True when a fault injected through ``/_sandbox/faults`` produced this response."""


@dataclass
class _Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    file: Path | None = None
    last_modified: str | None = None
    raw: bool = False

    def encoded(self) -> bytes:
        if self.file is not None or self.body is None:
            return b""
        if self.raw:
            return bytes(self.body)
        return json.dumps(self.body, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class _Caller:
    token: str | None = field(repr=False)
    can_write: bool
    key: str = field(repr=False)

    @property
    def authenticated(self) -> bool:
        return self.token is not None


def _error(status: int, message: str, kind: str, **extra: Any) -> _Response:
    body: dict[str, Any] = {"message": message, "documentation_url": _DOC.get(kind, DOCS)}
    body.update(extra)
    body.setdefault("status", str(status))
    return _Response(status, body)


def _not_found(kind: str) -> _Response:
    return _error(404, "Not Found", kind)


def _validation(kind: str, *errors: dict[str, Any]) -> _Response:
    return _Response(
        422,
        {
            "message": "Validation Failed",
            "errors": list(errors),
            "documentation_url": _DOC.get(kind, DOCS),
            "status": "422",
        },
    )


def _http_date(iso_ts: str) -> str:
    stamp = time.strptime(iso_ts, "%Y-%m-%dT%H:%M:%SZ")
    return email.utils.formatdate(time.mktime(stamp) - time.timezone, usegmt=True)


class _RateLimits:
    """Per-caller primary budgets in a rolling one-hour window (in memory)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, list[int]] = {}

    def peek(self, key: str, limit: int) -> tuple[int, int, int]:
        """(used, remaining, reset) without consuming."""
        with self._lock:
            return self._state(key, limit)

    def consume(self, key: str, limit: int) -> tuple[int, int, int]:
        with self._lock:
            self._state(key, limit)
            self._buckets[key][1] += 1
            return self._state(key, limit)

    def _state(self, key: str, limit: int) -> tuple[int, int, int]:
        now = int(time.time())
        b = self._buckets.get(key)
        if b is None or now >= b[0] + WINDOW:
            b = self._buckets[key] = [now, 0]
        used = min(b[1], limit)
        return used, limit - used, b[0] + WINDOW


@dataclass
class _Fault:
    method: str | None
    pattern: re.Pattern[str]
    status: int
    headers: dict[str, str]
    body: Any
    times: int | None


class _State:
    """What the admin endpoints change: faults, the request log, rate limits."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.faults: list[_Fault] = []
        self.requests: list[dict[str, Any]] = []
        self.limits = _RateLimits()
        self.seq = 0

    def take_fault(self, method: str, path: str) -> _Fault | None:
        with self.lock:
            for f in self.faults:
                if (f.method is None or f.method == method) and f.pattern.search(path):
                    if f.times is not None:
                        f.times -= 1
                        if f.times <= 0:
                            self.faults.remove(f)
                    return f
        return None

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.seq += 1
            self.requests.append({"seq": self.seq, **entry})


class _Server(LoopbackServer):
    store: Store
    state: _State
    observer: Callable[[ObservedResponse], None] | None
    base_url: str

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 19 else None


class _Handler(TrackedHandler):
    server_version = "chainkit-sandbox-github"
    timeout = 120
    server: _Server
    _body_left: int = 0

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    @property
    def _store(self) -> Store:
        return self.server.store

    @property
    def _state(self) -> _State:
        return self.server.state

    def _base(self) -> str:
        host = self.headers.get("Host")
        return f"http://{host}" if host else self.server.base_url

    def _content_length(self) -> int | None:
        raw = self.headers.get("Content-Length")
        if raw is None:
            return None
        try:
            value = int(raw)
        except ValueError:
            return None
        return value if value >= 0 else None

    def _drain(self) -> None:
        """Discard an unread request body so the connection can be reused."""
        left = self._body_left
        while left > 0:
            chunk = self.rfile.read(min(CHUNK, left))
            if not chunk:
                self.close_connection = True
                break
            left -= len(chunk)
        self._body_left = 0

    def _json_body(self, kind: str) -> tuple[Any, _Response | None]:
        if self._body_left == 0:
            return {}, None
        if self._body_left > MAX_JSON_BODY:
            return None, _error(413, "Request body too large", kind)
        raw = self.rfile.read(self._body_left)
        self._body_left = 0
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return None, _error(400, "Problems parsing JSON", kind)
        if not isinstance(data, dict):
            return None, _error(400, "Problems parsing JSON", kind)
        return data, None

    def _stream_to_tmp(self, length: int) -> tuple[Path, str] | None:
        """Stream ``length`` body bytes to a temporary file while hashing them."""
        tmp = self._store.new_tmp()
        h = hashlib.sha256()
        left = length
        try:
            with tmp.open("wb") as fh:
                while left > 0:
                    chunk = self.rfile.read(min(CHUNK, left))
                    if not chunk:
                        break
                    h.update(chunk)
                    fh.write(chunk)
                    left -= len(chunk)
        except OSError:
            left = -1
        self._body_left = 0
        if left != 0:
            tmp.unlink(missing_ok=True)
            self.close_connection = True
            return None
        return tmp, h.hexdigest()

    # ------------------------------------------------------------------ dispatch

    def _handle(self) -> None:
        method = "GET" if self.command == "HEAD" else self.command
        raw_path, _, query = self.path.partition("?")
        length = self._content_length()
        self._body_left = length or 0
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
        segs = [unquote(s) for s in raw_path.split("/")[1:]]
        resp: _Response
        if segs and segs[0] == "_sandbox":
            try:
                resp = self._admin(method, segs[1:], query)
            except Exception:  # noqa: BLE001 - a bug must not kill the server thread
                _log.exception("admin request failed")
                resp = _error(500, "sandbox admin error", "admin")
            self._drain()
            self._send(resp)
            return
        kind, target = self._route(method, segs)
        fault = self._state.take_fault(method, raw_path)
        caller: _Caller | None = None
        if fault is not None:
            self._drain()
            body = fault.body if fault.body is not None else {"message": "sandbox fault"}
            if isinstance(body, str):
                resp = _Response(fault.status, body.encode(), raw=True)
                resp.headers["content-type"] = "text/plain; charset=utf-8"
            else:
                resp = _Response(fault.status, body)
            resp.headers.update(fault.headers)
            caller = self._caller()
            if caller is not None and kind not in _NO_RATE_HEADERS:
                self._rate_headers(resp, caller, consume=False)
            self._finish(method, raw_path, query, kind, resp, fault=True)
            return
        try:
            resp = self._api(method, kind, target, query, length)
        except Exception:  # noqa: BLE001 - answer 500 as GitHub would, keep serving
            _log.exception("request failed: %s %s", method, raw_path)
            resp = _error(500, "Server Error", kind)
        self._drain()
        self._finish(method, raw_path, query, kind, resp)

    def _caller(self) -> _Caller | None:
        """The caller, or None for an unknown token (or an unusable scheme)."""
        auth = self.headers.get("Authorization")
        if not auth:
            return _Caller(None, False, "anon:" + self.client_address[0])
        scheme, _, cred = auth.strip().partition(" ")
        cred = cred.strip()
        if scheme.lower() not in ("token", "bearer") or not cred:
            return None
        row = self._store.token(cred)
        if row is None:
            return None
        return _Caller(cred, bool(row["can_write"]), "tok:" + cred)

    def _rate_headers(self, resp: _Response, caller: _Caller, *, consume: bool) -> None:
        limit = TOKEN_LIMIT if caller.authenticated else ANONYMOUS_LIMIT
        limits = self._state.limits
        used, remaining, reset = (
            limits.consume(caller.key, limit) if consume else limits.peek(caller.key, limit)
        )
        for name, value in (
            ("x-ratelimit-limit", limit),
            ("x-ratelimit-remaining", remaining),
            ("x-ratelimit-reset", reset),
            ("x-ratelimit-used", used),
            ("x-ratelimit-resource", "core"),
        ):
            resp.headers.setdefault(name, str(value))

    def _finish(
        self,
        method: str,
        raw_path: str,
        query: str,
        kind: str,
        resp: _Response,
        *,
        fault: bool = False,
    ) -> None:
        body = self._send(resp)
        self._state.record(
            {
                "method": method if self.command != "HEAD" else "HEAD",
                "path": raw_path,
                "query": query,
                "status": resp.status,
                "kind": kind,
                "operation_id": OPERATIONS.get(kind),
                "fault": fault,
            }
        )
        observer = self.server.observer
        if observer is not None:
            try:
                observer(
                    ObservedResponse(
                        method=method,
                        path=raw_path,
                        query=query,
                        status=resp.status,
                        headers=dict(resp.headers),
                        body=body,
                        kind=kind,
                        operation_id=OPERATIONS.get(kind),
                        fault=fault,
                    )
                )
            except Exception:  # noqa: BLE001 - an observer must not break the server
                _log.exception("response observer failed")

    def _send(self, resp: _Response) -> bytes | None:
        headers = resp.headers
        body = resp.encoded()
        if resp.file is None and resp.body is not None and not resp.raw:
            headers.setdefault("content-type", "application/json; charset=utf-8")
        size = resp.file.stat().st_size if resp.file is not None else len(body)
        if resp.status in (204, 304):
            size, body = 0, b""
        headers["content-length"] = str(size)
        headers.setdefault("x-github-request-id", secrets.token_hex(8).upper())
        if "x-ratelimit-limit" in headers:  # an API response
            headers.setdefault("x-github-api-version-selected", API_VERSION)
            headers.setdefault("x-github-media-type", "github.v3; format=json")
        if self.close_connection:
            headers["connection"] = "close"
        self.send_response(resp.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD" or resp.status in (204, 304):
            return body
        if resp.file is not None:
            with resp.file.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    self.wfile.write(chunk)
            return None
        self.wfile.write(body)
        return body

    # ------------------------------------------------------------------ routing

    def _route(self, method: str, segs: list[str]) -> tuple[str, dict[str, Any]]:
        """(kind, target) for a request; kind ``unknown`` answers 404."""
        n = len(segs)
        if segs == ["rate_limit"]:
            return ("rate-limit" if method == "GET" else "unknown"), {}
        if n >= 2 and segs[0] == "storage" and segs[1] == "release-assets" and n == 4:
            return "storage", {"repo_id": _int(segs[2]), "asset_id": _int(segs[3])}
        if n >= 1 and segs[0] == "uploads":
            repo_part, rest = self._split_repo(segs[1:])
            if (
                repo_part is not None
                and len(rest) == 3
                and rest[0] == "releases"
                and rest[2] == "assets"
                and method == "POST"
            ):
                return "upload", {"repo": repo_part, "release_id": _int(rest[1])}
            return "unknown", {}
        if n == 6 and segs[2:4] == ["releases", "download"] and method == "GET":
            return "browser-download", {
                "repo": ("name", segs[0], segs[1]),
                "tag": segs[4],
                "name": segs[5],
            }
        repo_part, rest = self._split_repo(segs)
        if repo_part is None:
            return "unknown", {}
        t: dict[str, Any] = {"repo": repo_part}
        r = rest
        kind = "unknown"
        if r == []:
            kind = {"GET": "get-repo"}.get(method, "unknown")
        elif len(r) == 2 and r[0] == "environments":
            t["environment"] = r[1]
            kind = {"GET": "get-environment"}.get(method, "unknown")
        elif r == ["tags"]:
            kind = {"GET": "list-tags"}.get(method, "unknown")
        elif r == ["releases"]:
            kind = {"GET": "list-releases", "POST": "create-release"}.get(method, "unknown")
        elif r == ["releases", "latest"]:
            kind = {"GET": "get-latest-release"}.get(method, "unknown")
        elif len(r) == 3 and r[:2] == ["releases", "tags"]:
            t["tag"] = r[2]
            kind = {"GET": "get-release-by-tag"}.get(method, "unknown")
        elif len(r) == 3 and r[:2] == ["releases", "assets"]:
            t["asset_id"] = _int(r[2])
            kind = {
                "GET": "get-release-asset",
                "PATCH": "update-release-asset",
                "DELETE": "delete-release-asset",
            }.get(method, "unknown")
            if kind == "get-release-asset" and "application/octet-stream" in (
                self.headers.get("Accept") or ""
            ):
                kind = "download"
        elif len(r) == 2 and r[0] == "releases":
            t["release_id"] = _int(r[1])
            kind = {
                "GET": "get-release",
                "PATCH": "update-release",
                "DELETE": "delete-release",
            }.get(method, "unknown")
        elif len(r) == 3 and r[0] == "releases" and r[2] == "assets":
            t["release_id"] = _int(r[1])
            kind = {"GET": "list-release-assets", "POST": "upload"}.get(method, "unknown")
        if kind != "unknown" and any(v is None for k, v in t.items() if k.endswith("_id")):
            kind = "unknown"
        return kind, t

    @staticmethod
    def _split_repo(segs: list[str]) -> tuple[tuple[str, str, str] | None, list[str]]:
        if len(segs) >= 3 and segs[0] == "repos":
            return ("name", segs[1], segs[2]), segs[3:]
        if len(segs) >= 2 and segs[0] == "repositories" and _int(segs[1]) is not None:
            return ("id", segs[1], ""), segs[2:]
        return None, segs

    def _resolve_repo(self, ref: tuple[str, str, str], caller: _Caller) -> Row | None:
        how, a, b = ref
        repo = self._store.repo_by_id(int(a)) if how == "id" else self._store.repo_by_name(a, b)
        if repo is None or (repo["private"] and not caller.authenticated):
            return None
        return repo

    # ------------------------------------------------------------------ API

    def _api(
        self, method: str, kind: str, t: dict[str, Any], query: str, length: int | None
    ) -> _Response:
        caller = self._caller()
        if kind == "storage":
            return self._storage(t)
        if caller is None:
            anon = _Caller(None, False, "anon:" + self.client_address[0])
            resp = _error(401, "Bad credentials", kind)
            if kind not in _NO_RATE_HEADERS:
                self._rate_headers(resp, anon, consume=False)
            return resp
        counts = kind not in _NOT_COUNTED
        if counts:
            limit = TOKEN_LIMIT if caller.authenticated else ANONYMOUS_LIMIT
            _used, remaining, _reset = self._state.limits.peek(caller.key, limit)
            if remaining <= 0:
                who = "this token" if caller.authenticated else self.client_address[0]
                resp = _error(
                    403,
                    f"API rate limit exceeded for {who}. (But here's the good news: "
                    "Authenticated requests get a higher rate limit.)",
                    kind,
                )
                self._rate_headers(resp, caller, consume=False)
                return resp
        resp = self._operation(method, kind, t, query, length, caller)
        if method == "GET" and resp.status == 200 and resp.file is None and not resp.raw:
            self._conditional(resp, caller)
        if kind not in _NO_RATE_HEADERS:
            self._rate_headers(resp, caller, consume=counts and resp.status != 304)
        return resp

    def _conditional(self, resp: _Response, caller: _Caller) -> None:
        digest = hashlib.sha256(resp.encoded() + caller.key.encode()).hexdigest()[:32]
        etag = f'W/"{digest}"'
        resp.headers["etag"] = etag
        last_modified = _http_date(resp.last_modified or self._store.last_write)
        resp.headers["last-modified"] = last_modified
        resp.headers["cache-control"] = (
            "private, max-age=60, s-maxage=60" if caller.authenticated else "public, max-age=60"
        )
        resp.headers["vary"] = "Accept, Authorization, Cookie, X-GitHub-OTP"
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        not_modified = False
        if inm is not None:
            tags = {x.strip() for x in inm.split(",")}
            not_modified = etag in tags or etag[2:] in tags or "*" in tags
        elif ims is not None:
            with contextlib.suppress(TypeError, ValueError):
                since = email.utils.parsedate_to_datetime(ims)
                not_modified = email.utils.parsedate_to_datetime(last_modified) <= since
        if not_modified:
            resp.status = 304
            resp.body = None

    def _operation(
        self,
        method: str,
        kind: str,
        t: dict[str, Any],
        query: str,
        length: int | None,
        caller: _Caller,
    ) -> _Response:
        base = self._base()
        store = self._store
        if kind == "unknown":
            return _not_found(kind)
        if kind == "rate-limit":
            return self._rate_limit_body(caller)
        repo = self._resolve_repo(t["repo"], caller)
        if repo is None:
            return _not_found(kind)
        q = parse_qs(query, keep_blank_values=True)
        writes = method in ("POST", "PATCH", "DELETE", "PUT")
        if writes:
            if not caller.authenticated:
                return _error(401, "Requires authentication", kind)
            if not caller.can_write:
                return _error(403, "Resource not accessible by integration", kind)
        if kind == "browser-download":
            return self._browser_download(repo, t, caller)
        if kind == "get-repo":
            return _Response(200, render.repo_json(base, repo, can_write=self._perm(caller)))
        if kind == "get-environment":
            env = store.environment(repo["id"], t["environment"])
            if env is None:
                return _not_found(kind)
            return _Response(200, render.environment_json(base, repo, env))
        if kind == "list-tags":
            tags = [render.tag_json(base, repo, r["tag"]) for r in store.tags(repo["id"])]
            return self._paginate(tags, q, f"{base}/repositories/{repo['id']}/tags")
        if kind == "list-releases":
            rels = store.releases(repo["id"], drafts=caller.can_write)
            page = self._page(rels, q)
            assets = store.assets_of([r["id"] for r in page.items])
            items = [render.release_json(base, repo, r, assets[r["id"]]) for r in page.items]
            return self._paged(items, page, q, f"{base}/repositories/{repo['id']}/releases")
        if kind == "create-release":
            return self._create_release(base, repo, kind)
        if kind == "get-latest-release":
            return self._release_response(base, repo, store.latest_release(repo["id"]), kind)
        if kind == "get-release-by-tag":
            return self._release_response(
                base, repo, store.release_by_tag(repo["id"], t["tag"]), kind
            )
        if "release_id" in t:
            rel = store.release(repo["id"], t["release_id"])
            if rel is None or (rel["draft"] and not caller.can_write):
                return _not_found(kind)
            if kind == "get-release":
                return self._release_response(base, repo, rel, kind)
            if kind == "update-release":
                return self._update_release(base, repo, rel, kind)
            if kind == "delete-release":
                store.delete_release(rel["id"])
                return _Response(204)
            if kind == "list-release-assets":
                rows = store.assets(rel["id"])
                page = self._page(rows, q)
                items = [render.asset_json(base, repo, rel, a) for a in page.items]
                return self._paged(
                    items, page, q, f"{base}/repositories/{repo['id']}/releases/{rel['id']}/assets"
                )
            if kind == "upload":
                return self._upload(base, repo, rel, q, length, kind)
        if "asset_id" in t:
            asset = store.asset(repo["id"], t["asset_id"])
            if asset is None:
                return _not_found(kind)
            rel = store.release_of_asset(asset)
            if rel["draft"] and not caller.can_write:
                return _not_found(kind)
            if kind == "get-release-asset":
                resp = _Response(200, render.asset_json(base, repo, rel, asset))
                resp.last_modified = asset["updated_at"]
                return resp
            if kind == "download":
                location = base + render.storage_path(store.storage_key, repo["id"], asset)
                resp = _Response(302, b"", raw=True)
                resp.headers["content-type"] = "text/html;charset=utf-8"
                resp.headers["location"] = location
                return resp
            if rel["immutable"] and not rel["draft"]:
                return _error(422, "Cannot modify assets of an immutable release.", kind)
            if kind == "delete-release-asset":
                store.delete_asset(asset["id"])
                return _Response(204)
            if kind == "update-release-asset":
                return self._update_asset(base, repo, rel, asset, kind)
        return _not_found(kind)

    @staticmethod
    def _perm(caller: _Caller) -> bool | None:
        return caller.can_write if caller.authenticated else None

    def _rate_limit_body(self, caller: _Caller) -> _Response:
        limit = TOKEN_LIMIT if caller.authenticated else ANONYMOUS_LIMIT
        used, remaining, reset = self._state.limits.peek(caller.key, limit)
        core = {
            "limit": limit,
            "remaining": remaining,
            "reset": reset,
            "used": used,
            "resource": "core",
        }

        def other(name: str, lim: int) -> dict[str, Any]:
            return {
                "limit": lim,
                "remaining": lim,
                "reset": int(time.time()) + 60,
                "used": 0,
                "resource": name,
            }

        return _Response(
            200,
            {
                "resources": {
                    "core": core,
                    "search": other("search", 30 if caller.authenticated else 10),
                    "graphql": other("graphql", TOKEN_LIMIT if caller.authenticated else 0),
                    "integration_manifest": other("integration_manifest", 5000),
                    "code_search": other("code_search", 10),
                },
                "rate": core,
            },
        )

    # ------------------------------------------------------------------ pagination

    @dataclass(frozen=True)
    class _Page:
        items: list[Any]
        page: int
        last: int
        per_page: int
        explicit_per_page: bool

    def _page(self, rows: list[Any], q: dict[str, list[str]]) -> _Handler._Page:
        def number(name: str, default: int) -> int:
            raw = (q.get(name) or [""])[-1]
            return int(raw) if raw.isdigit() and int(raw) > 0 else default

        explicit = bool((q.get("per_page") or [""])[-1].isdigit())
        per_page = min(number("per_page", 30), 100)
        page = number("page", 1)
        last = max(1, math.ceil(len(rows) / per_page))
        start = (page - 1) * per_page
        return self._Page(rows[start : start + per_page], page, last, per_page, explicit)

    def _paged(
        self, items: list[Any], page: _Handler._Page, q: dict[str, list[str]], link_base: str
    ) -> _Response:
        resp = _Response(200, items)
        if page.last > 1 and page.page <= page.last:
            pp = f"per_page={page.per_page}&" if page.explicit_per_page else ""

            def link(n: int, rel: str) -> str:
                return f'<{link_base}?{pp}page={n}>; rel="{rel}"'

            links = []
            if page.page > 1:
                links.append(link(page.page - 1, "prev"))
            if page.page < page.last:
                links.append(link(page.page + 1, "next"))
                links.append(link(page.last, "last"))
            if page.page > 1:
                links.append(link(1, "first"))
            resp.headers["link"] = ", ".join(links)
        return resp

    def _paginate(self, rows: list[Any], q: dict[str, list[str]], link_base: str) -> _Response:
        page = self._page(rows, q)
        return self._paged(page.items, page, q, link_base)

    # ------------------------------------------------------------------ releases

    def _release_response(self, base: str, repo: Row, rel: Row | None, kind: str) -> _Response:
        if rel is None:
            return _not_found(kind)
        resp = _Response(200, render.release_json(base, repo, rel, self._store.assets(rel["id"])))
        resp.last_modified = rel["updated_at"]
        return resp

    def _release_fields(self, data: dict[str, Any], kind: str) -> tuple[Row, _Response | None]:
        fields: Row = {}
        spec = {
            "tag_name": ("tag", str),
            "target_commitish": ("target_commitish", str),
            "name": ("name", str),
            "body": ("body", str),
            "draft": ("draft", bool),
            "prerelease": ("prerelease", bool),
        }
        for key, (col, typ) in spec.items():
            if key not in data:
                continue
            value = data[key]
            if value is None and key in ("name", "body"):
                fields[col] = None
                continue
            if not isinstance(value, typ):
                return fields, _validation(
                    kind,
                    {"resource": "Release", "code": "invalid", "field": key},
                )
            fields[col] = value
        make_latest = data.get("make_latest")
        if make_latest is not None and make_latest not in ("true", "false", "legacy"):
            return fields, _validation(
                kind, {"resource": "Release", "code": "invalid", "field": "make_latest"}
            )
        if "tag" in fields and not fields["tag"].strip():
            return fields, _validation(
                kind, {"resource": "Release", "code": "missing_field", "field": "tag_name"}
            )
        return fields, None

    def _create_release(self, base: str, repo: Row, kind: str) -> _Response:
        data, bad = self._json_body(kind)
        if bad is not None:
            return bad
        fields, bad = self._release_fields(data, kind)
        if bad is not None:
            return bad
        if "tag" not in fields:
            return _validation(
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
            rel = self._store.create_release(
                repo["id"], fields, make_latest=data.get("make_latest")
            )
        except Conflict:
            return _validation(
                kind, {"resource": "Release", "code": "already_exists", "field": "tag_name"}
            )
        resp = _Response(201, render.release_json(base, repo, rel, []))
        resp.headers["location"] = resp.body["url"]
        return resp

    def _update_release(self, base: str, repo: Row, rel: Row, kind: str) -> _Response:
        data, bad = self._json_body(kind)
        if bad is not None:
            return bad
        changes, bad = self._release_fields(data, kind)
        if bad is not None:
            return bad
        if rel["immutable"] and not rel["draft"] and changes.get("tag", rel["tag"]) != rel["tag"]:
            return _error(422, "Cannot change the tag of an immutable release.", kind)
        try:
            new = self._store.update_release(
                repo["id"], rel["id"], changes, make_latest=data.get("make_latest")
            )
        except Conflict:
            return _validation(
                kind, {"resource": "Release", "code": "already_exists", "field": "tag_name"}
            )
        return _Response(200, render.release_json(base, repo, new, self._store.assets(new["id"])))

    # ------------------------------------------------------------------ assets

    def _upload(
        self,
        base: str,
        repo: Row,
        rel: Row,
        q: dict[str, list[str]],
        length: int | None,
        kind: str,
    ) -> _Response:
        store = self._store
        if length is None or self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._body_left = 0
            return _error(411, "Length Required: send the asset with a Content-Length", kind)
        name = (q.get("name") or [""])[-1]
        if not name:
            return _validation(
                kind, {"resource": "ReleaseAsset", "code": "missing_field", "field": "name"}
            )
        if rel["immutable"] and not rel["draft"]:
            return _error(422, "Cannot upload assets to an immutable release.", kind)
        if length >= MAX_ASSET_SIZE:
            return _validation(
                kind,
                {
                    "resource": "ReleaseAsset",
                    "code": "custom",
                    "field": "size",
                    "message": "size must be less than 2 GiB",
                },
            )
        if store.count_assets(rel["id"]) >= MAX_ASSETS_PER_RELEASE:
            return _validation(
                kind,
                {
                    "resource": "ReleaseAsset",
                    "code": "custom",
                    "field": "release",
                    "message": f"a release holds at most {MAX_ASSETS_PER_RELEASE} assets",
                },
            )
        sanitized = sanitize_asset_name(name)
        if store.has_asset_named(rel["id"], sanitized):
            return _already_exists()
        got = self._stream_to_tmp(length)
        if got is None:
            return _error(400, "Upload incomplete: the body ended before Content-Length", kind)
        tmp, sha = got
        label: str | None = (q.get("label") or [""])[-1] if "label" in q else None
        content_type = self.headers.get("Content-Type") or "application/octet-stream"
        try:
            asset = store.add_asset(
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
            return _already_exists()
        rel = store.release(repo["id"], rel["id"]) or rel
        resp = _Response(201, render.asset_json(base, repo, rel, asset))
        resp.headers["etag"] = f'"{sha[:32]}"'
        resp.headers["last-modified"] = _http_date(asset["updated_at"])
        return resp

    def _update_asset(self, base: str, repo: Row, rel: Row, asset: Row, kind: str) -> _Response:
        data, bad = self._json_body(kind)
        if bad is not None:
            return bad
        changes: Row = {}
        for key in ("name", "label", "state"):
            if key in data:
                if not isinstance(data[key], str):
                    return _validation(
                        kind, {"resource": "ReleaseAsset", "code": "invalid", "field": key}
                    )
                changes[key] = data[key]
        if "name" in changes:
            changes["name"] = sanitize_asset_name(changes["name"])
        try:
            new = self._store.update_asset(asset["id"], changes)
        except Conflict:
            return _already_exists()
        return _Response(200, render.asset_json(base, repo, rel, new))

    def _storage(self, t: dict[str, Any]) -> _Response:
        q = parse_qs(self.path.partition("?")[2])
        asset = self._store.asset_by_id(t["asset_id"]) if t.get("asset_id") else None
        sig = (q.get("sig") or [""])[-1]
        if asset is None or not render.storage_sig_ok(self._store.storage_key, asset, sig):
            resp = _Response(
                403, b"AuthenticationFailed: signature invalid or asset gone", raw=True
            )
            resp.headers["content-type"] = "text/plain"
            return resp
        self._store.count_download(asset["id"])
        resp = _Response(200, file=self._store.blob(asset["id"]))
        resp.headers["content-type"] = "application/octet-stream"
        resp.headers["content-disposition"] = f"attachment; filename={asset['name']}"
        resp.headers["etag"] = f'"0x{asset["sha256"][:16].upper()}"'
        resp.headers["last-modified"] = _http_date(asset["updated_at"])
        resp.headers["accept-ranges"] = "none"
        return resp

    def _browser_download(self, repo: Row, t: dict[str, Any], caller: _Caller) -> _Response:
        tag, name = t["tag"], t["name"]
        rel: Row | None
        if tag.startswith("untagged-"):
            rel = next(
                (
                    r
                    for r in self._store.releases(repo["id"], drafts=caller.can_write)
                    if r["draft"] and f"untagged-{r['untagged']}" == tag
                ),
                None,
            )
        else:
            rel = self._store.release_by_tag(repo["id"], tag)
        asset = None
        if rel is not None:
            asset = next((a for a in self._store.assets(rel["id"]) if a["name"] == name), None)
        if asset is None:
            resp = _Response(404, b"Not Found", raw=True)
            resp.headers["content-type"] = "text/plain"
            return resp
        resp = _Response(302, b"", raw=True)
        resp.headers["content-type"] = "text/html;charset=utf-8"
        resp.headers["location"] = self._base() + render.storage_path(
            self._store.storage_key, repo["id"], asset
        )
        return resp

    # ------------------------------------------------------------------ admin

    def _admin(self, method: str, segs: list[str], query: str) -> _Response:
        state = self._state
        if segs == ["health"] and method == "GET":
            return _Response(200, {"ok": True, "seeded": self._store.seeded})
        if segs == ["faults"]:
            if method == "DELETE":
                with state.lock:
                    state.faults.clear()
                return _Response(204)
            if method == "GET":
                with state.lock:
                    return _Response(
                        200,
                        [
                            {"method": f.method, "path": f.pattern.pattern, "status": f.status,
                             "times": f.times}
                            for f in state.faults
                        ],
                    )  # fmt: skip
            if method == "POST":
                data, bad = self._json_body("admin")
                if bad is not None:
                    return bad
                fault, problem = _parse_fault(data)
                if fault is None:
                    return _Response(400, {"message": problem})
                with state.lock:
                    state.faults.append(fault)
                return _Response(201, {"ok": True})
        if segs == ["requests"]:
            if method == "GET":
                with state.lock:
                    return _Response(200, list(state.requests))
            if method == "DELETE":
                with state.lock:
                    state.requests.clear()
                return _Response(204)
        if len(segs) >= 5 and segs[0] == "repos" and segs[3] == "releases":
            repo = self._store.repo_by_name(segs[1], segs[2])
            if repo is None:
                return _Response(404, {"message": "Not Found"})
            base = self._base()
            if len(segs) == 5 and method == "PATCH" and _int(segs[4]) is not None:
                rel = self._store.release(repo["id"], int(segs[4]))
                if rel is None:
                    return _Response(404, {"message": "Not Found"})
                data, bad = self._json_body("admin")
                if bad is not None:
                    return bad
                if not isinstance(data.get("immutable"), bool):
                    return _Response(400, {"message": 'expected {"immutable": true|false}'})
                self._store.set_immutable(rel["id"], data["immutable"])
                rel = self._store.release(repo["id"], rel["id"]) or rel
                return _Response(
                    200, render.release_json(base, repo, rel, self._store.assets(rel["id"]))
                )
            if (
                len(segs) == 7
                and segs[4] == "assets"
                and segs[6] == "content"
                and method == "PUT"
                and _int(segs[5]) is not None
            ):
                asset = self._store.asset(repo["id"], int(segs[5]))
                if asset is None:
                    return _Response(404, {"message": "Not Found"})
                length = self._content_length()
                if length is None:
                    self.close_connection = True
                    return _Response(411, {"message": "Content-Length required"})
                digest = (parse_qs(query).get("digest") or ["keep"])[-1]
                if digest not in ("keep", "update"):
                    return _Response(400, {"message": "digest must be keep or update"})
                got = self._stream_to_tmp(length)
                if got is None:
                    return _Response(400, {"message": "body shorter than Content-Length"})
                tmp, sha = got
                new = self._store.replace_content(asset["id"], tmp, length, sha, digest=digest)
                rel = self._store.release_of_asset(new)
                return _Response(200, render.asset_json(base, repo, rel, new))
            if (
                len(segs) == 7
                and segs[4] == "assets"
                and segs[6] == "raw-name"
                and method == "PUT"
                and _int(segs[5]) is not None
            ):
                # Test-only: a hostile name GitHub's sanitizer would never produce.
                asset = self._store.asset(repo["id"], int(segs[5]))
                if asset is None:
                    return _Response(404, {"message": "Not Found"})
                data, bad = self._json_body("admin")
                if bad is not None:
                    return bad
                if not isinstance(data.get("name"), str) or not data["name"]:
                    return _Response(400, {"message": 'expected {"name": "<raw name>"}'})
                new = self._store.update_asset(asset["id"], {"name": data["name"]})
                rel = self._store.release_of_asset(new)
                return _Response(200, render.asset_json(base, repo, rel, new))
        return _Response(404, {"message": "Not Found (sandbox admin)"})


def _already_exists() -> _Response:
    return _Response(
        422,
        {
            "message": "Validation Failed",
            "errors": [{"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}],
            "documentation_url": _DOC["upload"],
        },
    )


def _parse_fault(data: dict[str, Any]) -> tuple[_Fault | None, str]:
    allowed = {"method", "path", "status", "headers", "body", "times"}
    unknown = set(data) - allowed
    if unknown:
        return None, f"unknown keys: {sorted(unknown)}"
    status = data.get("status")
    if not isinstance(status, int) or not 100 <= status <= 599:
        return None, "status must be an HTTP status code"
    method = data.get("method")
    if method is not None and not isinstance(method, str):
        return None, "method must be a string"
    try:
        pattern = re.compile(str(data.get("path", "")))
    except re.error as exc:
        return None, f"path is not a regular expression: {exc}"
    headers = data.get("headers") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, (str, int, float)) for k, v in headers.items()
    ):
        return None, "headers must map names to values"
    times = data.get("times", 1)
    if times is not None and (not isinstance(times, int) or times < 1):
        return None, "times must be a positive integer or null (forever)"
    return (
        _Fault(
            method=method.upper() if method else None,
            pattern=pattern,
            status=status,
            headers={k.lower(): str(v) for k, v in headers.items()},
            body=data.get("body"),
            times=times,
        ),
        "",
    )


class GitHubStandIn:
    """A local stand-in for GitHub's REST API (releases), persistent under ``state_dir``.

    ``response_observer`` (keyword-only) is called with every non-admin response served;
    test harnesses use it to validate responses against GitHub's OpenAPI description.
    """

    def __init__(
        self,
        state_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        response_observer: Callable[[ObservedResponse], None] | None = None,
    ) -> None:
        self._dir = state_dir
        self._host = host
        self._port = port
        self._observer = response_observer
        self._store = Store(state_dir)
        self._state = _State()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"GitHubStandIn({str(self._dir)!r}, {where})"

    def seed(self, seed: Seed) -> None:
        """Load ``seed`` into an empty store; a no-op if the store is already seeded."""
        if self._store.seeded:
            _log.info("GitHub stand-in state in %s is already seeded; seed ignored", self._dir)
            return
        try:
            self._store.load_seed(seed)
        except OSError as exc:
            raise SandboxServiceError(
                f"could not write seeded assets under {self._dir}: {exc}",
                remediation="check free disk space and permissions of the state directory",
            ) from None

    @property
    def seeded(self) -> bool:
        return self._store.seeded

    def start(self) -> None:
        """Bind and serve in background daemon threads."""
        if self._server is not None:
            return
        server = bind(_Server, self._host, self._port, what="the GitHub stand-in")
        server.store = self._store
        server.state = self._state
        server.observer = self._observer
        server.base_url = f"http://{self._host}:{server.server_address[1]}"
        self._server = server
        self._thread = serve(server, name="github-stand-in")
        _log.debug("GitHub stand-in serving %s from %s (%s)", self.url, self._dir, now_iso())

    @property
    def url(self) -> str:
        """``http://HOST:PORT``: the value of ``GITHUB_API_URL``."""
        if self._server is None:
            raise SandboxUsageError(
                "the GitHub stand-in is not running", remediation="call start() first"
            )
        return self._server.base_url

    def stop(self) -> None:
        """Stop serving (the state stays on disk)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        shut_down(server, thread)
        self._store.close()
