"""Rate-limit headers GitHub (or whatever answers in its place) should never send:
``Retry-After: soon``, ``1.5``, a Latin-1 superscript digit. Each is as if no header had
been sent (the fallback wait, logged and capped), never an internal error (review 9,
break 3). A small in-process HTTP server plays the hostile API."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainkit._internal.ghenv import GitHubContext
from chainkit.github import Asset, GitHubClient, GitHubError
from chainkit.github._client import ClientSettings

Answer = tuple[int, list[tuple[str, bytes]], bytes]


class _Hostile(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    answer: Answer = (404, [], b"{}")

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        status, headers, body = self.server.answer  # type: ignore[attr-defined]
        out = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n".encode()
        for name, value in headers:
            out += name.encode() + b": " + value + b"\r\n"
        out += b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body
        self.wfile.write(out)
        self.close_connection = True


@pytest.fixture
def hostile() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr("chainkit.github._client._sleep", waited.append)
    return waited


def _client(server: http.server.ThreadingHTTPServer) -> tuple[GitHubClient, str]:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    context = GitHubContext(
        api_url=base, token=None, repository="o/r", step_summary=None, in_actions=False
    )
    settings = ClientSettings(retries=2, backoff=0.01, max_retry_wait=120.0)
    return GitHubClient.from_context(context, settings=settings), base


def _asset(base: str) -> Asset:
    return Asset(
        id=1, name="a.tgz", size=3, content_type="application/gzip", state="uploaded",
        digest=None, url=f"{base}/repos/o/r/releases/assets/1", browser_download_url="",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status", "after"), [(429, b"soon"), (503, b"1.5"), (503, b"\xb2"), (502, b"-1")]
)
def test_a_malformed_retry_after_on_a_read_is_no_internal_error(
    hostile: http.server.ThreadingHTTPServer, sleeps: list[float], status: int, after: bytes
) -> None:
    hostile.answer = (status, [("Retry-After", after)], b"{}")  # type: ignore[attr-defined]
    client, _ = _client(hostile)
    with pytest.raises(GitHubError) as caught:
        list(client.iter_releases("o/r"))
    assert caught.value.exit_code == 3
    assert sleeps and all(0 <= s <= 120 for s in sleeps)  # the backoff, not the header


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (429, [("Retry-After", b"soon")]),
        (429, [("Retry-After", b"1.5")]),
        (403, [("retry-after", b"\xb2")]),
        (403, [("x-ratelimit-remaining", b"0"), ("x-ratelimit-reset", b"nan")]),
    ],
)
def test_a_malformed_retry_after_on_a_download_waits_the_fallback(
    hostile: http.server.ThreadingHTTPServer,
    sleeps: list[float],
    tmp_path: Path,
    status: int,
    headers: list[tuple[str, bytes]],
) -> None:
    hostile.answer = (status, headers, b'{"message":"API rate limit exceeded"}')  # type: ignore[attr-defined]
    client, base = _client(hostile)
    with pytest.raises(GitHubError) as caught:
        client.download(_asset(base), tmp_path / "a.tgz")
    assert caught.value.exit_code == 3
    assert 60.0 in sleeps  # GitHub's "at least a minute", the header ignored
    assert all(0 <= s <= 120 for s in sleeps)
