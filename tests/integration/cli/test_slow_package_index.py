"""A package index that trickles its answer cannot keep `plan --pypi-project` silent or
waiting forever: a total deadline per request, a log line while it is slow (loopback only)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from _plugins.sandbox import FullSandbox, asset, release, seed


class _Trickle(BaseHTTPRequestHandler):
    """Headers at once, then one byte of JSON every 0.2 s (never finishing in time)."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass  # the client gave up

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def trickling_index() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://user:s3cr3t-token@127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_trickling_index_fails_past_the_deadline_naming_the_url(
    sandbox_factory: Callable[..., FullSandbox],
    tmp_path: Path,
    trickling_index: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("chainkit.backfill._pypi.REQUEST_DEADLINE", 1.5)
    monkeypatch.setattr("chainkit.backfill._pypi.SLOW_AFTER", 0.5)
    sb = sandbox_factory(seed(releases=[release("v1", assets=[asset("a.whl", b"a")])]))
    started = time.monotonic()
    result = sb.plan(
        tmp_path / "plan.json", "--pypi-project", "widgets", "--pypi-index-url", trickling_index
    )
    elapsed = time.monotonic() - started
    assert result.exit_code == 3, result.output
    assert elapsed < 10
    err = result.stderr
    assert "s3cr3t-token" not in err
    shown = trickling_index.replace("user:s3cr3t-token", "***") + "widgets/"
    # while slow, a log line says what is being fetched
    assert f"still fetching {shown}" in err
    # past the deadline, the error names the URL and the deadline
    assert f"the package index did not answer {shown} within 1.5 s" in err
    assert "internal error" not in err
    assert not (tmp_path / "plan.json").exists()
