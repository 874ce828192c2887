"""A timestamp authority that answers a well-formed token over other data is a TSA
failure: apply stops with exit 3 before anything is logged or uploaded (sigstore-python
does not check the token, and its verifier silently falls back to Rekor's time)."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path
from typing import Any

import requests
from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

from _plugins.sandbox import FullSandbox, asset, release, seed
from integration.backfill._flow import make_plan

TIMESTAMP = "/api/v1/timestamp"


def test_a_token_over_other_data_stops_the_signature(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(
        seed(
            releases=[
                release(
                    "v1.0.0",
                    published_at="2025-01-01T00:00:00Z",
                    assets=[asset("a-1.0.0.whl", "a0", digest="auto")],
                )
            ]
        )
    )
    plan = make_plan(sb, tmp_path / "plan.json")
    real: list[str] = []

    class OtherBytes(http.server.BaseHTTPRequestHandler):
        """Asks the real TSA for a token over b"other bytes", whatever it was asked."""

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            other = (
                TimestampRequestBuilder()
                .hash_algorithm(HashAlgorithm.SHA256)
                .data(b"other bytes")
                .nonce(nonce=True)
                .build()
            )
            kind = {"Content-Type": "application/timestamp-query"}
            answer = requests.post(real[0], data=other.as_bytes(), headers=kind, timeout=30)
            self.send_response(answer.status_code)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OtherBytes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proxy = f"http://127.0.0.1:{server.server_port}{TIMESTAMP}"

    def swap(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, str) and TIMESTAMP in value:
            real.append(value)
            return proxy
        return value

    try:
        config = swap(json.loads(Path(sb.info.trust_config).read_text(encoding="utf-8")))
        assert real, "the sandbox's trust config names a timestamp authority"
        trust = tmp_path / "trust-config.json"
        trust.write_text(json.dumps(config), encoding="utf-8")
        args = sb.apply_args(tmp_path / "plan.json", plan["plan_digest"], tmp_path / "state")
        result = sb.chainkit(*args, env=sb.env(CHAINKIT_TRUST_CONFIG=str(trust)))
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 3, result.output
    assert "over other data than this signature" in result.output
    assert sb.tree_size() == 0  # stopped before Rekor was asked
    assets = [a.name for a in sb.releases()["v1.0.0"].get_assets()]
    assert assets == ["a-1.0.0.whl"]
