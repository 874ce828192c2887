"""A loopback OSV endpoint: the subset of OSV's API (https://google.github.io/osv.dev/api/)
that pip-audit and other clients use, ``POST /v1/query``, ``POST /v1/querybatch`` and
``GET /v1/vulns/{id}``, served from an :class:`AdvisoryDatabase` on ``127.0.0.1``."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import unquote

from chainkit.audit._osv.database import AdvisoryDatabase
from chainkit.audit._osv.match import ECOSYSTEM

__all__ = ["LoopbackOSV"]

_log = logging.getLogger("chainkit.audit")


def _query_target(query: Any) -> tuple[str, str] | None:
    """(name, version) of an OSV query, or ``None`` when it is not a PyPI version query."""
    if not isinstance(query, Mapping):
        return None
    package = query.get("package")
    version = query.get("version")
    if not isinstance(package, Mapping):
        return None
    purl = package.get("purl")
    if isinstance(purl, str) and purl.startswith("pkg:pypi/"):
        body = purl[len("pkg:pypi/") :].split("?", 1)[0].split("#", 1)[0]
        purl_name, _, purl_version = body.partition("@")
        version = version or (unquote(purl_version) if purl_version else None)
        return (unquote(purl_name), str(version)) if version else None
    name = package.get("name")
    if package.get("ecosystem") != ECOSYSTEM or not isinstance(name, str):
        return None
    return (name, str(version)) if isinstance(version, str) and version else None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One buffered write per response and no Nagle: keep-alive requests from pip-audit's
    # session would otherwise wait for delayed ACKs (~40 ms each).
    wbufsize = -1
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("loopback OSV: " + format, *args)

    def _send(self, status: int, body: Any) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, status: HTTPStatus, code: int, message: str) -> None:
        self._send(status, {"code": code, "message": message})

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw or b"null")

    def do_GET(self) -> None:
        prefix = "/v1/vulns/"
        if not self.path.startswith(prefix):
            self._error(HTTPStatus.NOT_FOUND, 5, "Not found.")
            return
        record = self.server.database.get(unquote(self.path[len(prefix) :]))
        if record is None:
            self._error(HTTPStatus.NOT_FOUND, 5, "Bug not found.")
            return
        self._send(HTTPStatus.OK, record)

    def do_POST(self) -> None:
        try:
            body = self._body()
        except ValueError:
            self._error(HTTPStatus.BAD_REQUEST, 3, "Invalid JSON body.")
            return
        db = self.server.database
        if self.path == "/v1/query":
            target = _query_target(body)
            if target is None:
                self._error(HTTPStatus.BAD_REQUEST, 3, "Expected a PyPI package and version.")
                return
            vulns = db.query(*target)
            self._send(HTTPStatus.OK, {"vulns": vulns} if vulns else {})
        elif self.path == "/v1/querybatch":
            queries = body.get("queries") if isinstance(body, Mapping) else None
            if not isinstance(queries, list):
                self._error(HTTPStatus.BAD_REQUEST, 3, "Expected {'queries': [...]}.")
                return
            results: list[dict[str, Any]] = []
            for query in queries:
                target = _query_target(query)
                hits = db.query(*target) if target is not None else []
                results.append(
                    {"vulns": [{"id": r["id"], "modified": r.get("modified")} for r in hits]}
                    if hits
                    else {}
                )
            self._send(HTTPStatus.OK, {"results": results})
        else:
            self._error(HTTPStatus.NOT_FOUND, 5, "Not found.")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, database: AdvisoryDatabase) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.database = database


class LoopbackOSV:
    """Serve an :class:`AdvisoryDatabase` on 127.0.0.1 while the context is open."""

    def __init__(self, database: AdvisoryDatabase) -> None:
        self._database = database
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("LoopbackOSV is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def query_url(self) -> str:
        """The URL to hand to pip-audit's ``--osv-url``."""
        return f"{self.base_url}/v1/query"

    def __enter__(self) -> LoopbackOSV:
        self._server = _Server(self._database)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="chainkit-loopback-osv",
            daemon=True,
        )
        self._thread.start()
        _log.debug("loopback OSV endpoint at %s", self.base_url)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None
