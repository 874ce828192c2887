"""load_bundle: the one parser of Sigstore bundles. A real bundle from the sandbox's
Sigstore loads and states who signed (CertificateFacts) and where it is logged; garbage,
truncated bundles, a wrong media type and oversized input are InvalidBundleError."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from _plugins.sigstore import workflow_identity
from chainkit.errors import ExitCode
from chainkit.signing import (
    GITHUB_ISSUER,
    MAX_BUNDLE_BYTES,
    BundleVerificationError,
    BundleVerifier,
    CertificateFacts,
    IdentityPolicy,
    InvalidBundleError,
    KeylessSigner,
    SigningError,
    bundle_facts,
    load_bundle,
    load_trust_config,
    log_position,
)

DIGEST = hashlib.sha256(b"facts").hexdigest()


@pytest.fixture(scope="module")
def signed(sigstore_sandbox: Any) -> bytes:
    trust = load_trust_config(sigstore_sandbox.trust_config_path)
    signer = KeylessSigner(trust_config=trust, token_provider=lambda: sigstore_sandbox.token())
    return signer.sign_digest(DIGEST).to_json().encode()


def test_facts_of_a_sandbox_signed_bundle(signed: bytes) -> None:
    facts = bundle_facts(load_bundle(signed, source="sandbox bundle"))
    assert facts.identity == workflow_identity()
    assert facts.issuer == GITHUB_ISSUER
    assert facts.source_repository_uri == "https://github.com/acme/widgets"
    assert facts.source_repository == "acme/widgets"
    assert facts.source_repository_ref == "refs/heads/main"
    assert facts.source_repository_digest and facts.run_invocation_uri


def test_log_position_is_read_without_private_attributes(signed: bytes) -> None:
    bundle = load_bundle(signed, source="b")
    entry = json.loads(signed)["verificationMaterial"]["tlogEntries"][0]
    position = log_position(bundle)
    assert position.log_index == int(entry.get("logIndex", 0))
    assert position.integrated_time == int(entry["integratedTime"])


def test_a_policy_pinning_the_facts_verifies_the_bundle(
    sigstore_sandbox: Any, signed: bytes
) -> None:
    verifier = BundleVerifier.from_trust_config(
        load_trust_config(sigstore_sandbox.trust_config_path)
    )
    facts = bundle_facts(load_bundle(signed, source="b"))
    verified = verifier.verify_digest(DIGEST, signed, IdentityPolicy.pinning(facts))
    assert verified.facts == facts
    other = CertificateFacts(
        identity=facts.identity,
        issuer=facts.issuer,
        source_repository_uri="https://github.com/evil/widgets",
    )
    with pytest.raises(BundleVerificationError, match="source repository"):
        verifier.verify_digest(DIGEST, signed, IdentityPolicy.pinning(other))


def _media_type(signed: bytes, media_type: str) -> bytes:
    data = json.loads(signed)
    data["mediaType"] = media_type
    return json.dumps(data).encode()


def _without_log_entries(signed: bytes) -> bytes:
    data = json.loads(signed)
    data["verificationMaterial"]["tlogEntries"] = []
    return json.dumps(data).encode()


def _bad_certificate(signed: bytes) -> bytes:
    data = json.loads(signed)
    material = data["verificationMaterial"]
    key = "certificate" if "certificate" in material else "x509CertificateChain"
    if key == "certificate":
        material[key]["rawBytes"] = "AAAA"
    else:
        material[key]["certificates"][0]["rawBytes"] = "AAAA"
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda s: b"", id="empty"),
        pytest.param(lambda s: b"\x00garbage\xff", id="garbage"),
        pytest.param(lambda s: b"[1, 2, 3]", id="not-an-object"),
        pytest.param(lambda s: s[: len(s) // 2], id="truncated-half"),
        pytest.param(lambda s: s[:-1], id="truncated-last-byte"),
        pytest.param(
            lambda s: _media_type(s, "application/vnd.dev.sigstore.bundle+json;version=9.9"),
            id="unknown-media-type",
        ),
        pytest.param(lambda s: _media_type(s, "text/plain"), id="wrong-media-type"),
        pytest.param(_without_log_entries, id="no-log-entry"),
        pytest.param(_bad_certificate, id="bad-certificate"),
        pytest.param(lambda s: s + b" " * MAX_BUNDLE_BYTES, id="oversized"),
    ],
)
def test_broken_bundles_are_one_error(signed: bytes, mangle: Any) -> None:
    with pytest.raises(InvalidBundleError) as exc:
        load_bundle(mangle(signed), source="'w.whl.sigstore.json'")
    error = exc.value
    assert isinstance(error, SigningError) and isinstance(error, BundleVerificationError)
    assert error.exit_code == ExitCode.FINDINGS
    assert error.message.startswith("'w.whl.sigstore.json' is not a valid Sigstore bundle")
    assert "\n" not in error.message and len(error.message) < 400


def test_verifier_reports_a_broken_bundle_as_a_verification_failure(
    sigstore_sandbox: Any, signed: bytes
) -> None:
    verifier = BundleVerifier.from_trust_config(
        load_trust_config(sigstore_sandbox.trust_config_path)
    )
    policy = IdentityPolicy(issuer=GITHUB_ISSUER, identity=workflow_identity())
    with pytest.raises(InvalidBundleError):
        verifier.verify_digest(DIGEST, signed[:100], policy)
    with pytest.raises(InvalidBundleError):
        verifier.verify_statement(signed[:100], policy)
