"""Fulcio, Rekor and TSA requests are bounded: a service that accepts the connection and
never answers is "no answer" (retried), then a signing service error (exit 3), not an
endless wait (sigstore-python sends Fulcio's and Rekor's requests without a timeout)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chainkit.signing import SigningServiceError, _signer
from chainkit.signing._signer import KeylessSigner, _RetryingLog, _transient, load_trust_config


@pytest.fixture
def silent() -> Iterator[tuple[str, list[socket.socket]]]:
    """A server that accepts connections and never reads or answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    server.close()
    for conn in accepted:
        conn.close()


@pytest.fixture(autouse=True)
def scaled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_signer, "SERVICE_TIMEOUT", 0.3)
    monkeypatch.setattr(_signer, "RETRY_WAITS", (0.01, 0.01))


def test_a_silent_rekor_is_no_answer_retried_then_given_up(silent: Any) -> None:
    from sigstore._internal.rekor.client import RekorClient

    url, accepted = silent
    log = _RetryingLog(RekorClient(url), lambda: (0.01, 0.01))
    started = time.monotonic()
    with pytest.raises(Exception) as raised:
        log.create_entry({"kind": "hashedrekord", "apiVersion": "0.0.1", "spec": {}})
    assert time.monotonic() - started < 5
    assert _transient(raised.value) == "no answer"
    assert len(accepted) == 3  # the request and its two retries


def test_a_silent_certificate_authority_is_a_signing_service_error(
    sigstore_sandbox: Any, silent: Any, tmp_path: Path
) -> None:
    url, accepted = silent
    config = json.loads(Path(sigstore_sandbox.trust_config_path).read_text(encoding="utf-8"))
    signing = config.get("signingConfig") or config["signing_config"]
    for service in signing["caUrls"]:
        service["url"] = url
    path = tmp_path / "trust-config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    signer = KeylessSigner(
        trust_config=load_trust_config(path), token_provider=sigstore_sandbox.token
    )
    started = time.monotonic()
    with pytest.raises(SigningServiceError, match="certificate authority"):
        signer.sign_digest("ab" * 32)
    assert time.monotonic() - started < 5
    assert len(accepted) == 3
