"""``load_trust_config(None, offline=True)``: production Sigstore's root as embedded in
sigstore-python, read without TUF or network; a distribution without it is a usage error
(exit 2) that says what to do instead."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from chainkit.errors import ExitCode
from chainkit.signing import (
    GITHUB_ISSUER,
    BundleVerifier,
    IdentityPolicy,
    SigningUsageError,
    load_trust_config,
)

REAL = Path(__file__).resolve().parents[2] / "assets" / "verify" / "rfc8785"
WHEEL = REAL / "rfc8785-0.1.2-py3-none-any.whl"
IDENTITY = (
    "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
)


def test_the_embedded_root_verifies_a_production_bundle() -> None:
    verifier = BundleVerifier.from_trust_config(load_trust_config(None, offline=True))
    verified = verifier.verify_digest(
        hashlib.sha256(WHEEL.read_bytes()).hexdigest(),
        (REAL / (WHEEL.name + ".sigstore.json")).read_bytes(),
        IdentityPolicy(
            issuer=GITHUB_ISSUER, identity=IDENTITY, source_repository="trailofbits/rfc8785.py"
        ),
    )
    assert verified.source_repository_uri == "https://github.com/trailofbits/rfc8785.py"


def test_a_missing_embedded_root_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sigstore._utils

    def missing(name: str, url: str) -> bytes:
        raise FileNotFoundError(name)

    monkeypatch.setattr(sigstore._utils, "read_embedded", missing)
    with pytest.raises(SigningUsageError) as caught:
        load_trust_config(None, offline=True)
    assert caught.value.exit_code == ExitCode.USAGE
    assert "--trust-config" in (caught.value.remediation or "")
