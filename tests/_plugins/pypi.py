"""A tiny PEP 691 package index on 127.0.0.1 for PyPI-evidence tests.

Fixture ``pypi_index`` -> :class:`PyPIStandIn`: ``add_file(project, filename, data)``
publishes a file (its sha256 is computed), ``url`` is the Simple API base
(``http://127.0.0.1:PORT/simple/``), ``requests`` records every request path and
Accept header, ``fail_with`` makes every answer that HTTP status.
Register with ``pytest_plugins = ["_plugins.pypi"]`` (or import the fixture).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

__all__ = ["PyPIStandIn", "pypi_index"]

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


@dataclass
class PyPIStandIn:
    host: str = "127.0.0.1"
    port: int = 0
    projects: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    fail_with: int | None = None
    content_type: str = JSON_TYPE

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/simple/"

    def add_file(
        self, project: str, filename: str, data: bytes, *, sha256: str | None = None
    ) -> str:
        digest = sha256 or hashlib.sha256(data).hexdigest()
        key = re.sub(r"[-_.]+", "-", project).lower()
        self.projects.setdefault(key, []).append(
            {
                "filename": filename,
                "url": f"../../files/{filename}",
                "hashes": {"sha256": digest},
                "requires-python": ">=3.10",
                "yanked": False,
            }
        )
        return digest


def _handler(state: PyPIStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            state.requests.append((self.path, self.headers.get("Accept", "")))
            if state.fail_with is not None:
                self._send(
                    state.fail_with, b'{"message": "failing on purpose"}', "application/json"
                )
                return
            m = re.fullmatch(r"/simple/([a-z0-9-]+)/", self.path)
            if m is None or m.group(1) not in state.projects:
                self._send(404, b"not found", "text/plain")
                return
            doc = {
                "meta": {"api-version": "1.1"},
                "name": m.group(1),
                "files": state.projects[m.group(1)],
            }
            self._send(200, json.dumps(doc).encode(), state.content_type)

        def _send(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def pypi_index() -> Iterator[PyPIStandIn]:
    state = PyPIStandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
