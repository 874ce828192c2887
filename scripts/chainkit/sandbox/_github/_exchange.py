"""One HTTP exchange of the GitHub stand-in: request plumbing and the response model.

This module owns what every operation handler shares: the :class:`Response` it returns,
the :class:`Caller` it serves, the :class:`Call` it is given (route, query, repository),
GitHub's error bodies, and :class:`Exchange`, the request handler base that reads bodies
(bounded JSON, or streamed to disk while hashed) and writes responses. Dispatch lives in
``_dispatch``; the operations in ``_releases``, ``_transfer``, ``_attestations`` and
``_repositories``.
"""

from __future__ import annotations

import email.utils
import json
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chainkit._internal.fs import create_new
from chainkit._internal.hashing import sha256_chunks
from chainkit.sandbox._github._store import Row, Store
from chainkit.sandbox._http import LoopbackServer, TrackedHandler

if TYPE_CHECKING:
    from chainkit.sandbox._github._state import ServerState

__all__ = [
    "API_VERSION",
    "CHUNK",
    "DOCS",
    "Call",
    "Caller",
    "Exchange",
    "ObservedResponse",
    "Response",
    "error",
    "http_date",
    "int_or_none",
    "not_found",
    "validation",
]

CHUNK = 1024 * 1024
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
    "create-attestation": f"{DOCS}/repos/attestations#create-an-attestation",
    "list-attestations": f"{DOCS}/repos/attestations#list-attestations",
    "list-org-attestations": f"{DOCS}/orgs/attestations#list-attestations",
    "list-user-attestations": f"{DOCS}/users/attestations#list-attestations",
    "list-org-repos": f"{DOCS}/repos/repos#list-organization-repositories",
    "list-user-repos": f"{DOCS}/repos/repos#list-repositories-for-a-user",
    "list-installation-repos": f"{DOCS}/apps/installations"
    "#list-repositories-accessible-to-the-app-installation",
}


def doc_url(kind: str) -> str:
    return _DOC.get(kind, DOCS)


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
class Response:
    """A response being built; handlers return it, dispatch adds headers and sends it."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    file: Path | None = None
    last_modified: str | None = None
    raw: bool = False
    rate_headers: bool = True
    """``False`` for an answer GitHub sends without ``x-ratelimit-*`` (a secondary limit)."""

    def encoded(self) -> bytes:
        if self.file is not None or self.body is None:
            return b""
        if self.raw:
            return bytes(self.body)
        return json.dumps(self.body, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain") -> Response:
        resp = cls(status, text.encode(), raw=True)
        resp.headers["content-type"] = content_type
        return resp


@dataclass(frozen=True)
class Caller:
    """Who is asking: a known token (with its permissions) or an anonymous client address."""

    token: str | None = field(repr=False)
    can_write: bool
    key: str = field(repr=False)
    permissions: Mapping[str, str] = field(default_factory=dict)

    @property
    def authenticated(self) -> bool:
        return self.token is not None

    def may(self, scope: str, level: str) -> bool:
        """Whether the token grants ``scope`` at ``level`` (``write`` implies ``read``)."""
        have = self.permissions.get(scope)
        return have == "write" or (level == "read" and have == "read")


@dataclass(frozen=True)
class Call:
    """A routed API request: what the operation handlers are given."""

    method: str
    kind: str
    target: Mapping[str, Any]
    query: Mapping[str, list[str]]
    raw_path: str
    length: int | None
    caller: Caller
    base: str
    repo: Row | None = None

    def param(self, name: str, default: str = "") -> str:
        """The last value of a query parameter."""
        return (self.query.get(name) or [default])[-1]


def error(status: int, message: str, kind: str, **extra: Any) -> Response:
    body: dict[str, Any] = {"message": message, "documentation_url": doc_url(kind)}
    body.update(extra)
    body.setdefault("status", str(status))
    return Response(status, body)


def not_found(kind: str) -> Response:
    return error(404, "Not Found", kind)


def validation(kind: str, *errors: dict[str, Any]) -> Response:
    return Response(
        422,
        {
            "message": "Validation Failed",
            "errors": list(errors),
            "documentation_url": doc_url(kind),
            "status": "422",
        },
    )


def http_date(iso_ts: str) -> str:
    stamp = time.strptime(iso_ts, "%Y-%m-%dT%H:%M:%SZ")
    return email.utils.formatdate(time.mktime(stamp) - time.timezone, usegmt=True)


def int_or_none(value: str) -> int | None:
    """A path id: decimal digits only, and small enough for sqlite."""
    return int(value) if value.isdigit() and len(value) < 19 else None


class GitHubHTTPServer(LoopbackServer):
    """The listening server; carries what every exchange needs."""

    store: Store
    state: ServerState
    observer: Callable[[ObservedResponse], None] | None
    base_url: str


class Exchange(TrackedHandler):
    """Request plumbing shared by every handler: bodies in, responses out."""

    server_version = "chainkit-sandbox-github"
    timeout = 120
    server: GitHubHTTPServer
    _body_left: int = 0
    cut_after: int | None = None
    """Set by a ``cut_body_after_bytes`` fault: send that much of the body, then hang up."""

    @property
    def store(self) -> Store:
        return self.server.store

    @property
    def state(self) -> ServerState:
        return self.server.state

    def base(self) -> str:
        """The base URL the client used (absolute URLs in bodies are built from it)."""
        host = self.headers.get("Host")
        return f"http://{host}" if host else self.server.base_url

    def content_length(self) -> int | None:
        raw = self.headers.get("Content-Length")
        if raw is None:
            return None
        try:
            value = int(raw)
        except ValueError:
            return None
        return value if value >= 0 else None

    def drain(self) -> None:
        """Discard an unread request body so the connection can be reused."""
        left = self._body_left
        while left > 0:
            chunk = self.rfile.read(min(CHUNK, left))
            if not chunk:
                self.close_connection = True
                break
            left -= len(chunk)
        self._body_left = 0

    def json_body(self, kind: str, *, limit: int = MAX_JSON_BODY) -> tuple[Any, Response | None]:
        """The request's JSON object (``{}`` without a body), or an error response."""
        if self._body_left == 0:
            return {}, None
        if self._body_left > limit:
            return None, error(413, "Request body too large", kind)
        raw = self.rfile.read(self._body_left)
        self._body_left = 0
        try:
            data = json.loads(raw or b"{}")
        except (ValueError, RecursionError):
            return None, error(400, "Problems parsing JSON", kind)
        if not isinstance(data, dict):
            return None, error(400, "Problems parsing JSON", kind)
        return data, None

    def stream_to_tmp(self, length: int) -> tuple[Path, str] | None:
        """Stream ``length`` body bytes to a temporary file while hashing them."""
        tmp = self.store.new_tmp()
        got = 0

        def chunks(fh: Any) -> Iterator[bytes]:
            nonlocal got
            while got < length:
                chunk = self.rfile.read(min(CHUNK, length - got))
                if not chunk:
                    return
                fh.write(chunk)
                got += len(chunk)
                yield chunk

        try:
            with create_new(tmp, mode=0o644) as fh:
                sha = sha256_chunks(chunks(fh))
        except OSError:
            got = -1
        self._body_left = 0
        if got != length:
            tmp.unlink(missing_ok=True)
            self.close_connection = True
            return None
        return tmp, sha

    def send(self, resp: Response) -> bytes | None:
        """Write ``resp``; the body sent (``None`` when streamed from a file)."""
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
        left = size if self.cut_after is None else min(size, self.cut_after)
        if self.cut_after is not None:
            self.close_connection = True
        if resp.file is not None:
            with resp.file.open("rb") as fh:
                while left > 0 and (chunk := fh.read(min(CHUNK, left))):
                    self.wfile.write(chunk)
                    left -= len(chunk)
            return None
        self.wfile.write(body[:left])
        return body
