"""chainkit's keyless signer and offline verifier against the Sigstore stand-in."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from chainkit.errors import ExitCode
from chainkit.signing import (
    GITHUB_ISSUER,
    BundleVerificationError,
    BundleVerifier,
    IdentityPolicy,
    KeylessSigner,
    SigningUsageError,
    load_trust_config,
    static_token,
)

IDENTITY = "https://github.com/acme/widgets/.github/workflows/release.yml@refs/heads/main"


class Clock:
    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def make(sigstore_sandbox: Any, **kwargs: Any) -> tuple[KeylessSigner, BundleVerifier, Any]:
    trust = load_trust_config(sigstore_sandbox.trust_config_path)
    tokens = kwargs.pop("tokens", None) or (lambda: sigstore_sandbox.token())
    signer = KeylessSigner(trust_config=trust, token_provider=tokens, **kwargs)
    return signer, BundleVerifier.from_trust_config(trust), trust


def policy(**overrides: Any) -> IdentityPolicy:
    values: dict[str, Any] = {
        "issuer": GITHUB_ISSUER,
        "identity": IDENTITY,
        "source_repository": "acme/widgets",
    }
    values.update(overrides)
    return IdentityPolicy(**values)


def test_one_certificate_signs_many_digests(sigstore_sandbox: Any) -> None:
    signer, verifier, _ = make(sigstore_sandbox)
    for i in range(5):
        digest = hashlib.sha256(f"artifact {i}".encode()).hexdigest()
        bundle = signer.sign_digest(digest)
        verified = verifier.verify_digest(digest, bundle.to_json(), policy())
        assert verified.identity == IDENTITY
        assert verified.source_repository_uri == "https://github.com/acme/widgets"
    assert signer.certificates == 1


def test_signer_renews_before_the_certificate_expires(sigstore_sandbox: Any) -> None:
    clock = Clock()
    signer, verifier, _ = make(sigstore_sandbox, clock=clock, renew_margin=120)
    digest = hashlib.sha256(b"x").hexdigest()
    signer.sign_digest(digest)
    clock.now += 600 - 121  # still 121 s of life: no renewal
    signer.sign_digest(digest)
    assert signer.certificates == 1
    clock.now += 2  # within the margin: a fresh token and certificate
    bundle = signer.sign_digest(digest)
    assert signer.certificates == 2
    verifier.verify_digest(digest, bundle.to_json(), policy())


def test_expired_static_token_is_a_usage_error(sigstore_sandbox: Any) -> None:
    import time

    expired = sigstore_sandbox.authority.identity_token(
        lifetime=60, now=__import__("datetime").datetime.fromtimestamp(time.time() - 3600)
    )
    signer, _, _ = make(sigstore_sandbox, tokens=static_token(expired))
    with pytest.raises(SigningUsageError) as exc:
        signer.sign_digest(hashlib.sha256(b"x").hexdigest())
    assert exc.value.exit_code == ExitCode.USAGE
    assert "fresh token" in (exc.value.remediation or "")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"source_repository": "evil/widgets"}, "source repository"),
        ({"identity": IDENTITY.replace("main", "evil")}, "identity"),
        ({"issuer": "https://accounts.google.com"}, "issuer"),
    ],
)
def test_policy_rejections(sigstore_sandbox: Any, overrides: dict[str, Any], reason: str) -> None:
    signer, verifier, _ = make(sigstore_sandbox)
    digest = hashlib.sha256(b"y").hexdigest()
    bundle = signer.sign_digest(digest).to_json()
    with pytest.raises(BundleVerificationError) as exc:
        verifier.verify_digest(digest, bundle, policy(**overrides))
    assert reason in exc.value.message
    assert exc.value.exit_code == ExitCode.FINDINGS


def test_tampered_artifact_is_rejected(sigstore_sandbox: Any) -> None:
    signer, verifier, _ = make(sigstore_sandbox)
    bundle = signer.sign_digest(hashlib.sha256(b"real").hexdigest()).to_json()
    with pytest.raises(BundleVerificationError):
        verifier.verify_digest(hashlib.sha256(b"fake").hexdigest(), bundle, policy())


def test_identity_regexp(sigstore_sandbox: Any) -> None:
    signer, verifier, _ = make(sigstore_sandbox)
    digest = hashlib.sha256(b"z").hexdigest()
    bundle = signer.sign_digest(digest).to_json()
    ok = policy(identity=None, identity_regexp=r"https://github\.com/acme/.*")
    verifier.verify_digest(digest, bundle, ok)
    with pytest.raises(BundleVerificationError):
        verifier.verify_digest(
            digest, bundle, policy(identity=None, identity_regexp=r"https://github\.com/evil/.*")
        )
    with pytest.raises(SigningUsageError):
        policy(identity=None, identity_regexp="(")


def test_statement_round_trip(sigstore_sandbox: Any) -> None:
    signer, verifier, _ = make(sigstore_sandbox)
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "a.whl", "digest": {"sha256": hashlib.sha256(b"a").hexdigest()}}],
        "predicateType": "https://chainkit.dev/attestations/backfill/v1",
        "predicate": {"kind": "backfill"},
    }
    bundle = signer.sign_statement(json.dumps(statement).encode())
    payload, verified = verifier.verify_statement(bundle.to_json(), policy())
    assert json.loads(payload) == statement
    assert verified.issuer == GITHUB_ISSUER


def test_garbage_bundle_is_a_verification_failure(sigstore_sandbox: Any) -> None:
    _, verifier, _ = make(sigstore_sandbox)
    with pytest.raises(BundleVerificationError):
        verifier.verify_digest("0" * 64, b"{not json", policy())
