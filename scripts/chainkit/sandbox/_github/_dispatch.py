"""Dispatch of the GitHub stand-in: one request from the socket to the response.

:class:`Handler` routes a request (``_routes``), applies injected faults (``_faults``),
authenticates the caller, enforces the primary rate limit (``_ratelimit``) and, for
writes, write access and the secondary-limit hook (``_limits``); then it runs the
operation handler, adds conditional-request headers (``ETag``, ``304``) and rate-limit
headers, sends the response, logs it and hands it to the response observer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email.utils
import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, unquote

from chainkit.sandbox._github import _admin, _attestations, _releases, _repositories, _transfer
from chainkit.sandbox._github._exchange import (
    Call,
    Caller,
    Exchange,
    ObservedResponse,
    Response,
    error,
    http_date,
    not_found,
)
from chainkit.sandbox._github._inject import inject
from chainkit.sandbox._github._limits import CONTENT_CREATING, SECONDARY_DOC_URL
from chainkit.sandbox._github._ratelimit import exceeded_message, rate_limit_body
from chainkit.sandbox._github._routes import NO_RATE_HEADERS, NOT_COUNTED, OPERATIONS, route
from chainkit.sandbox._github._store import Row

__all__ = ["Handler"]

_log = logging.getLogger("chainkit.sandbox.github")

_OPS: Mapping[str, Callable[[Exchange, Call], Response]] = {
    **_releases.OPS,
    **_transfer.OPS,
    **_attestations.OPS,
    **_repositories.OPS,
}
_WRITES = frozenset({"POST", "PATCH", "DELETE", "PUT"})
# The token permission a write needs (GitHub's fine-grained scopes); default "contents".
_WRITE_SCOPE = {"create-attestation": "attestations"}
# Served without a token check: the signed URL is the credential, as on GitHub's storage.
_UNAUTHENTICATED = {"storage": _transfer.storage, "attestation-bundle": _attestations.bundle}


class Handler(Exchange):
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

    def _handle(self) -> None:
        method = "GET" if self.command == "HEAD" else self.command
        raw_path, _, query = self.path.partition("?")
        length = self.content_length()
        self._body_left = length or 0
        self._started, self._bytes_in, self.cut_after = time.monotonic(), length or 0, None
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
        segs = [unquote(s) for s in raw_path.split("/")[1:]]
        if segs and segs[0] == "_sandbox":
            try:
                resp = _admin.handle(self, method, segs[1:], query)
            except Exception:  # noqa: BLE001 - a bug must not kill the server thread
                _log.exception("admin request failed")
                resp = error(500, "sandbox admin error", "admin")
            self.drain()
            self.send(resp)
            return
        kind, target = route(method, segs, self.headers.get("Accept") or "")
        decision = self.state.plan.decide("github", method, raw_path)
        if decision is not None:  # seeded faults (``--faults``): _fault_plan, _inject
            self.state.plan.delay(decision)
            if decision.rule is not None:
                inject(self, decision.rule, (method, kind, target, raw_path, query, length))
                return
        fault = self.state.faults.take(method, raw_path)
        if fault is not None:
            self.drain()
            body = fault.body if fault.body is not None else {"message": "sandbox fault"}
            if isinstance(body, str):
                resp = Response.text(fault.status, body, "text/plain; charset=utf-8")
            else:
                resp = Response(fault.status, body)
            resp.headers.update(fault.headers)
            caller = self._caller()
            if caller is not None and kind not in NO_RATE_HEADERS:
                self._rate_headers(resp, caller, consume=False)
            self._finish(method, raw_path, query, kind, resp, fault=True)
            return
        try:
            resp = self._api(method, kind, target, raw_path, query, length)
        except Exception:  # noqa: BLE001 - answer 500 as GitHub would, keep serving
            _log.exception("request failed: %s %s", method, raw_path)
            resp = error(500, "Server Error", kind)
        self.drain()
        self._finish(method, raw_path, query, kind, resp)

    # ------------------------------------------------------------------ callers

    def _anonymous(self) -> Caller:
        return Caller(None, False, "anon:" + self.client_address[0])

    def _caller(self) -> Caller | None:
        """The caller, or None for an unknown token (or an unusable scheme)."""
        auth = self.headers.get("Authorization")
        if not auth:
            return self._anonymous()
        scheme, _, cred = auth.strip().partition(" ")
        cred = cred.strip()
        if scheme.lower() not in ("token", "bearer") or not cred:
            return None
        row = self.store.token(cred)
        if row is None:
            return None
        return Caller(cred, bool(row["can_write"]), "tok:" + cred, row["permissions"])

    def _rate_headers(self, resp: Response, caller: Caller, *, consume: bool) -> None:
        headers = self.state.limits.headers(caller.key, caller.authenticated, consume=consume)
        for name, value in headers.items():
            resp.headers.setdefault(name, value)

    def _resolve_repo(self, ref: tuple[str, str, str], caller: Caller) -> Row | None:
        how, a, b = ref
        store = self.store
        repo = store.repo_by_id(int(a)) if how == "id" else store.repo_by_name(a, b)
        if repo is None or (repo["private"] and not caller.authenticated):
            return None
        return repo

    # ------------------------------------------------------------------ API

    def _api(
        self,
        method: str,
        kind: str,
        target: dict[str, Any],
        raw_path: str,
        query: str,
        length: int | None,
    ) -> Response:
        caller = self._caller()
        call = Call(
            method=method,
            kind=kind,
            target=target,
            query=parse_qs(query, keep_blank_values=True),
            raw_path=raw_path,
            length=length,
            caller=caller or self._anonymous(),
            base=self.base(),
        )
        if kind in _UNAUTHENTICATED:
            return _UNAUTHENTICATED[kind](self, call)
        if caller is None:
            resp = error(401, "Bad credentials", kind)
            if kind not in NO_RATE_HEADERS:
                self._rate_headers(resp, call.caller, consume=False)
            return resp
        counts = kind not in NOT_COUNTED
        if counts and self.state.limits.exhausted(caller.key, caller.authenticated):
            who = "this token" if caller.authenticated else self.client_address[0]
            resp = error(403, exceeded_message(who), kind)
            self._rate_headers(resp, caller, consume=False)
            return resp
        resp = self._operation(call)
        if method == "GET" and resp.status == 200 and resp.file is None and not resp.raw:
            self._conditional(resp, caller)
        if kind not in NO_RATE_HEADERS and resp.rate_headers:
            self._rate_headers(resp, caller, consume=counts and resp.status != 304)
        return resp

    def _operation(self, call: Call) -> Response:
        kind, caller = call.kind, call.caller
        if kind == "unknown":
            return not_found(kind)
        if kind == "rate-limit":
            return Response(
                200, rate_limit_body(self.state.limits, caller.key, caller.authenticated)
            )
        if "repo" in call.target:
            repo = self._resolve_repo(call.target["repo"], caller)
            if repo is None:
                return not_found(kind)
            call = dataclasses.replace(call, repo=repo)
        if call.method in _WRITES:
            if not caller.authenticated:
                return error(401, "Requires authentication", kind)
            if not caller.may(_WRITE_SCOPE.get(kind, "contents"), "write"):
                return error(403, "Resource not accessible by integration", kind)
        if kind in CONTENT_CREATING:
            request_id = secrets.token_hex(8).upper()
            refusal = self.state.write_budget.admit(
                caller.key, kind, now=time.time(), request_id=request_id
            )
            if refusal is not None:  # as recorded: no x-ratelimit-* headers (section 11)
                resp = Response(
                    refusal.status,
                    {"documentation_url": SECONDARY_DOC_URL, "message": refusal.message},
                    rate_headers=False,
                )
                resp.headers["x-github-request-id"] = request_id
                if refusal.retry_after is not None:
                    resp.headers["retry-after"] = str(refusal.retry_after)
                return resp
        op = _OPS.get(kind)
        return op(self, call) if op is not None else not_found(kind)

    def _conditional(self, resp: Response, caller: Caller) -> None:
        digest = hashlib.sha256(resp.encoded() + caller.key.encode()).hexdigest()[:32]
        etag = f'W/"{digest}"'
        resp.headers["etag"] = etag
        last_modified = http_date(resp.last_modified or self.store.last_write)
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

    def _finish(
        self,
        method: str,
        raw_path: str,
        query: str,
        kind: str,
        resp: Response,
        *,
        fault: bool = False,
        fault_kind: str | None = None,
    ) -> None:
        # Log before sending: a client that reads the log right after its response sees it.
        size = resp.file.stat().st_size if resp.file is not None else len(resp.encoded())
        if self.cut_after is not None:
            size = min(size, self.cut_after)
        self.state.requests.record(
            {
                "method": method if self.command != "HEAD" else "HEAD",
                "path": raw_path,
                "query": query,
                "status": resp.status,
                "kind": kind,
                "operation_id": OPERATIONS.get(kind),
                "fault": fault,
                "fault_kind": fault_kind or ("canned" if fault else None),
                "bytes_in": self._bytes_in,
                "bytes_out": 0 if resp.status in (204, 304) or self.command == "HEAD" else size,
                "ms": round((time.monotonic() - self._started) * 1000, 3),
            }
        )
        body = self.send(resp)
        observer = self.server.observer
        if observer is None:
            return
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

    def log_fault(
        self, method: str, raw_path: str, query: str, kind: str, fault_kind: str, *, bytes_in: int
    ) -> None:
        """Log a request that got no answer (the connection was cut): ``status`` is 0."""
        self.state.requests.record(
            {
                "method": method,
                "path": raw_path,
                "query": query,
                "status": 0,
                "kind": kind,
                "operation_id": OPERATIONS.get(kind),
                "fault": True,
                "fault_kind": fault_kind,
                "bytes_in": bytes_in,
                "bytes_out": 0,
                "ms": round((time.monotonic() - self._started) * 1000, 3),
            }
        )
