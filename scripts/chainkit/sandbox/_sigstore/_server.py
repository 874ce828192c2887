"""The HTTP front of the local Sigstore: Fulcio, Rekor v1 and the TSA on one port.

Seeded faults (``chainkit.sandbox._fault_plan``, services ``fulcio``, ``rekor``, ``tsa``)
apply before a request is served: latency, an error status (the request is not served),
or an answer cut after some body bytes. Requests are logged to the sandbox's request log
when one is given (``service`` names which of the three answered).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import serialization

from chainkit.sandbox._errors import SandboxUsageError
from chainkit.sandbox._fault_plan import FaultPlan, sigstore_service
from chainkit.sandbox._github._state import RequestLog
from chainkit.sandbox._http import LoopbackServer, TrackedHandler, bind, serve, shut_down
from chainkit.sandbox._sigstore._authority import GITHUB_ISSUER, SigstoreAuthority
from chainkit.sandbox._sigstore._common import Rejected
from chainkit.sandbox._sigstore._fulcio import Fulcio
from chainkit.sandbox._sigstore._rekor import RekorLog
from chainkit.sandbox._sigstore._tsa import TimestampAuthority

__all__ = ["SigstoreStandIn"]

_log = logging.getLogger("chainkit.sandbox.sigstore")
_MAX_BODY = 32 * 1024 * 1024
_ENTRIES = "/api/v1/log/entries"


class _Server(LoopbackServer):
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)

    fulcio: Fulcio
    rekor: RekorLog
    tsa: TimestampAuthority
    authority: SigstoreAuthority
    base_url: str
    plan: FaultPlan
    requests: RequestLog | None


class _Handler(TrackedHandler):
    server: _Server
    server_version = "chainkit-sandbox-sigstore"
    timeout = 60  # idle kept-alive connections end after a minute
    _cut_after: int | None = None
    _status = 0
    _sent = 0

    # -- plumbing -----------------------------------------------------------------------------

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise Rejected(413, f"request body larger than {_MAX_BODY} bytes")
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self._status = status
        if self._cut_after is not None:
            body = body[: self._cut_after]
            self.close_connection = True
        if self.command != "HEAD":
            self.wfile.write(body)
            self._sent = len(body)

    def _json(self, status: int, value: Any, **headers: str) -> None:
        self._send(status, json.dumps(value).encode(), "application/json", **headers)

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        started, self._cut_after, self._status, self._sent = time.monotonic(), None, 0, 0
        service = sigstore_service(url.path)
        decision = self.server.plan.decide(service, method, url.path)
        fault_kind = None
        if decision is not None:
            self.server.plan.delay(decision)
            rule = decision.rule
            if rule is not None:
                fault_kind = rule.effect
                self._cut_after = rule.cut_body_after_bytes
            if rule is not None and rule.status is not None:
                self._body()  # read and drop the request, so the connection stays usable
                message = f"sandbox fault: {rule.status}"
                self._json(rule.status, {"code": rule.status, "message": message})
                self._record(method, url.path, service, started, fault_kind)
                return
        try:
            self._route(method, url.path.rstrip("/") or "/", parse_qs(url.query))
        except Rejected as exc:
            code = exc.code if exc.code is not None else exc.status
            self._json(exc.status, {"code": code, "message": exc.message, "details": []})
        except Exception:  # noqa: BLE001 - a bug: answer 500, log it, keep serving
            _log.exception("sigstore stand-in failed on %s %s", method, url.path)
            self._json(500, {"code": 500, "message": "internal error in the sandbox stand-in"})
        self._record(method, url.path, service, started, fault_kind)

    def _record(
        self, method: str, path: str, service: str, started: float, fault_kind: str | None
    ) -> None:
        log = self.server.requests
        if log is None:
            return
        log.record(
            {
                "service": service,
                "method": method,
                "path": path,
                "status": self._status,
                "kind": service,
                "fault": fault_kind is not None,
                "fault_kind": fault_kind,
                "bytes_in": int(self.headers.get("Content-Length") or 0),
                "bytes_out": self._sent,
                "ms": round((time.monotonic() - started) * 1000, 3),
            }
        )

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    # -- routes -------------------------------------------------------------------------------

    def _route(self, method: str, path: str, query: dict[str, list[str]]) -> None:
        srv = self.server
        if method == "POST":
            body = self._body()
            if path == "/api/v2/signingCert":
                response = srv.fulcio.signing_cert(body, self.headers.get("Authorization"))
                self._json(HTTPStatus.CREATED, response)
            elif path == _ENTRIES:
                entry = srv.rekor.create_entry(body)
                uuid = next(iter(entry))
                self._json(HTTPStatus.CREATED, entry, ETag=uuid, Location=f"{_ENTRIES}/{uuid}")
            elif path == "/api/v1/timestamp":
                reply = srv.tsa.respond(body)
                self._send(HTTPStatus.CREATED, reply, "application/timestamp-reply")
            else:
                raise Rejected(404, f"no such endpoint: POST {path}")
            return
        if path == "/api/v1/log":
            self._json(200, srv.rekor.log_info())
        elif path == _ENTRIES and "logIndex" in query:
            try:
                index = int(query["logIndex"][0])
            except ValueError as exc:
                raise Rejected(400, "logIndex must be an integer", code=400) from exc
            self._json(200, srv.rekor.entry_by_index(index))
        elif path.startswith(_ENTRIES + "/"):
            self._json(200, srv.rekor.entry_by_uuid(path[len(_ENTRIES) + 1 :]))
        elif path == "/api/v1/log/publicKey":
            key = srv.authority.key("rekor").public_key()
            pem = key.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            self._send(200, pem, "application/x-pem-file")
        elif path == "/api/v2/trustBundle":
            self._json(200, {"chains": [{"certificates": srv.fulcio.chain_pem()}]})
        elif path == "/api/v1/timestamp/certchain":
            self._send(200, srv.tsa.cert_chain_pem().encode(), "application/pem-certificate-chain")
        elif path == "/.well-known/openid-configuration":
            self._json(
                200,
                {
                    "issuer": GITHUB_ISSUER,
                    "jwks_uri": f"{srv.base_url}/.well-known/jwks",
                    "id_token_signing_alg_values_supported": ["ES256"],
                },
            )
        elif path == "/.well-known/jwks":
            self._json(200, srv.authority.jwks())
        else:
            raise Rejected(404, f"no such endpoint: GET {path}")


class SigstoreStandIn:
    """Fulcio, Rekor v1 and an RFC 3161 TSA sharing one HTTP port (distinct paths).

    Signing config URLs: CA and Rekor ``url``, TSA ``url + /api/v1/timestamp``. The Rekor log
    persists in the authority's state dir; its checkpoints name the log ``host:port``.
    """

    def __init__(
        self,
        authority: SigstoreAuthority,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultPlan | None = None,
        requests: RequestLog | None = None,
    ) -> None:
        self._authority = authority
        self._faults = faults or FaultPlan()
        self._requests = requests
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"SigstoreStandIn({self._host!r}, port={self._port})"

    def start(self) -> None:
        """Bind and serve on background daemon threads."""
        if self._server is not None:
            raise SandboxUsageError(
                "the Sigstore stand-in is already running", remediation="call stop() first"
            )
        server = bind(_Server, self._host, self._port, what="the Sigstore stand-in")
        port = server.server_address[1]
        self._port = int(port)
        server.authority = self._authority
        server.base_url = self.url
        server.plan = self._faults
        server.requests = self._requests
        try:
            server.fulcio = Fulcio(self._authority)
            server.rekor = RekorLog(self._authority, origin=f"{self._host}:{self._port}")
            server.tsa = TimestampAuthority(self._authority)
        except BaseException:
            server.server_close()
            raise
        self._server = server
        self._thread = serve(server, name=f"sigstore-stand-in:{self._port}")

    @property
    def url(self) -> str:
        """``http://HOST:PORT``: base URL of Fulcio, Rekor and (with /api/v1/timestamp) the TSA."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    @property
    def certificates_issued(self) -> int:
        """How many certificates Fulcio issued since start (0 when stopped)."""
        return self._server.fulcio.issued if self._server else 0

    @property
    def log_size(self) -> int:
        """Entries in the Rekor log (persisted ones included; 0 when stopped)."""
        return len(self._server.rekor) if self._server else 0

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        shut_down(server, thread, timeout=5)
