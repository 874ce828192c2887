"""``load_trust_config(None, offline=True)``: production Sigstore's root as embedded in
sigstore-python, read without TUF or network; a distribution without it is a usage error
(exit 2) that says what to do instead."""

from __future__ import annotations

import pytest

from chainkit.errors import ExitCode
from chainkit.signing import BundleVerifier, SigningUsageError, load_trust_config


def test_the_embedded_root_is_read_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(self: socket.socket, address: object) -> None:
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    config = load_trust_config(None, offline=True)
    verifier = BundleVerifier.from_trust_config(config)
    assert verifier is not None


def test_a_missing_embedded_root_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sigstore._utils

    def missing(name: str, url: str) -> bytes:
        raise FileNotFoundError(name)

    monkeypatch.setattr(sigstore._utils, "read_embedded", missing)
    with pytest.raises(SigningUsageError) as caught:
        load_trust_config(None, offline=True)
    assert caught.value.exit_code == ExitCode.USAGE
    assert "--trust-config" in (caught.value.remediation or "")
