"""Rekor's 409 for a re-submitted entry, then its retrieve API, through sigstore-python's
own client (a local stand-in answers): the entry found is used; a 404 from retrieve
(nothing matches) means the conflict stands - the 409 is the error, not the 404."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from chainkit.signing import _signer
from chainkit.signing._signer import _RetryingLog, _status


class Model:
    """Stands in for rekor_types' entry models (the stand-in does not read the body)."""

    def __init__(self, data: Any) -> None:
        self.data = data

    def model_dump(self, **_: Any) -> Any:
        return self.data

    @classmethod
    def model_validate(cls, data: Any) -> Model:
        return cls(data)


@pytest.fixture
def rekor(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[str]]]:
    """Entry POSTs: 503 (made, answer lost), then 409; retrieve: 404."""
    monkeypatch.setattr("rekor_types.Hashedrekord", Model)
    monkeypatch.setattr(_signer, "_sleep", lambda _: None)
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if "/retrieve" in self.path:
                status, body = 404, {"code": 404, "message": "no matching entries"}
            elif seen.count("entries") == 0:
                status, body = 503, {"code": 503, "message": "lost"}
            else:
                status, body = 409, {"code": 409, "message": "an equivalent entry exists"}
            seen.append("retrieve" if "/retrieve" in self.path else "entries")
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


def test_a_404_from_retrieve_leaves_the_conflict_standing(rekor: Any) -> None:
    from sigstore._internal.rekor.client import RekorClient

    url, seen = rekor
    log = _RetryingLog(RekorClient(url), lambda: (0.01, 0.01))
    with pytest.raises(Exception) as raised:
        log.create_entry({"kind": "hashedrekord", "apiVersion": "0.0.1", "spec": {}})
    assert seen == ["entries", "entries", "retrieve"]
    assert _status(raised.value) == 409  # the conflict, not the retrieve's 404
