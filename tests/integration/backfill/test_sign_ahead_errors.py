"""Signing ahead is best effort: it never waits for the next download, and an error
while signing ahead is discarded (the asset is handled at its own turn), so the upload
of the asset before it always comes first and nothing is charged to it."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from _plugins.sandbox import FullSandbox
from integration.backfill._flow import make_plan
from integration.backfill.test_sign_ahead import journal_steps, three_wheels

ENTRIES = "/api/v1/log/entries"


@pytest.fixture
def rekor_proxy(tmp_path: Path) -> Iterator[Callable[[FullSandbox, Callable[[int], str]], Path]]:
    """A Rekor in front of the sandbox's: each entry POST is slowed (so that the next
    download is done when an upload waits) and, by its number, forwarded (``"ok"``),
    forwarded then answered 503 (``"lost"``: made, answer lost) or answered 503
    (``"down"``). ``/retrieve`` answers the first entry of the log (another one). Returns
    a trust config that uses it."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(sb: FullSandbox, plan: Callable[[int], str]) -> Path:
        base = sb.info.sigstore_url.rstrip("/")
        posts = [0]

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _forward(self, method: str) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(size) if size else None
                if method == "POST" and self.path.startswith(ENTRIES + "/retrieve"):
                    first = requests.get(base + ENTRIES, params={"logIndex": 0}, timeout=30)
                    return self._answer(200, json.dumps([first.json()]).encode())
                fate = "ok"
                if method == "POST" and self.path == ENTRIES:
                    posts[0] += 1
                    fate = plan(posts[0])
                    time.sleep(0.3)
                if fate == "down":
                    return self._answer(503, b'{"code":503,"message":"down"}')
                kind = self.headers.get("Content-Type", "")
                real = requests.request(
                    method, base + self.path, data=data, headers={"Content-Type": kind}, timeout=30
                )
                if fate == "lost":
                    return self._answer(503, b'{"code":503,"message":"lost"}')
                return self._answer(real.status_code, real.content)

            def do_GET(self) -> None:
                self._forward("GET")

            def do_POST(self) -> None:
                self._forward("POST")

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        config = json.loads(Path(sb.info.trust_config).read_text(encoding="utf-8"))
        signing = config.get("signingConfig") or config["signing_config"]
        for service in signing["rekorTlogUrls"]:
            service["url"] = f"http://127.0.0.1:{server.server_port}"
        path = tmp_path / "trust-config.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        return path

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_failed_signature_ahead_is_not_charged_to_the_asset_before_it(
    sandbox_factory: Any, tmp_path: Path, rekor_proxy: Any
) -> None:
    # c's entry (the third) is made but its answer is lost; the retry gets 409 and the
    # retrieved entry is another one: signing c ahead fails (its bundle does not verify)
    sb: FullSandbox = sandbox_factory(three_wheels())
    plan = make_plan(sb, tmp_path / "plan.json")
    trust = rekor_proxy(sb, lambda n: "lost" if n == 3 else "ok")
    args = sb.apply_args(tmp_path / "plan.json", plan["plan_digest"], tmp_path / "state")
    env = sb.env(CHAINKIT_TRUST_CONFIG=str(trust), CHAINKIT_WRITE_BUDGET="1/1s")
    result = sb.chainkit(*args, env=env)
    assert result.exit_code == 0, result.output
    assert "signing c-1.0.0.whl ahead failed" in result.output
    assert json.loads(result.stdout)["summary"]["signed"] == 3
    ids = [a["id"] for a in plan["releases"][0]["assets"]]
    steps = journal_steps(tmp_path / "state")
    # b's bundle was uploaded, c signed (once, as journalled) at its own turn after it
    assert steps.index(("asset.uploaded", ids[1])) < steps.index(("asset.signed", ids[2]))
    assert [s for s in steps if s[0] == "asset.signed"] == [("asset.signed", i) for i in ids]


def test_a_service_failure_while_signing_ahead_surfaces_at_that_asset(
    sandbox_factory: Any, tmp_path: Path, rekor_proxy: Any
) -> None:
    # Rekor is down from the third entry on: signing c ahead fails (exit 3 material), but
    # b's upload comes first, and the run stops at c's own turn, naming c
    sb: FullSandbox = sandbox_factory(three_wheels())
    plan = make_plan(sb, tmp_path / "plan.json")
    trust = rekor_proxy(sb, lambda n: "down" if n >= 3 else "ok")
    args = sb.apply_args(tmp_path / "plan.json", plan["plan_digest"], tmp_path / "state")
    env = sb.env(CHAINKIT_TRUST_CONFIG=str(trust), CHAINKIT_WRITE_BUDGET="1/1s")
    result = sb.chainkit(*args, env=env)
    assert result.exit_code == 3, result.output
    assert "signing c-1.0.0.whl ahead failed" in result.output
    names = [a.name for a in sb.releases()["v1.0.0"].get_assets()]
    assert "b-1.0.0.whl.sigstore.json" in names
    assert "c-1.0.0.whl.sigstore.json" not in names
    ids = [a["id"] for a in plan["releases"][0]["assets"]]
    assert ("asset.uploaded", ids[1]) in journal_steps(tmp_path / "state")


def test_signing_ahead_never_waits_for_the_next_download(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    # every download takes 0.8 s; b's upload may go at 2 s, c's download (started at b's
    # turn) is not done when b is signed: c is not signed ahead and b's upload does not wait
    sb: FullSandbox = sandbox_factory(three_wheels())
    plan = make_plan(sb, tmp_path / "plan.json")
    rule = {"path": "^/storage/", "latency_ms": 800}
    assert sb.admin("PUT", "fault-plan", json={"rules": [rule]}).status_code < 300
    args = sb.apply_args(tmp_path / "plan.json", plan["plan_digest"], tmp_path / "state")
    result = sb.chainkit(*args, env=sb.env(CHAINKIT_WRITE_BUDGET="1/2s"))
    assert result.exit_code == 0, result.output
    assert "ahead, while the write before it waits" not in result.output
    ids = [a["id"] for a in plan["releases"][0]["assets"]]
    steps = journal_steps(tmp_path / "state")
    assert steps.index(("asset.uploaded", ids[1])) < steps.index(("asset.signed", ids[2]))
