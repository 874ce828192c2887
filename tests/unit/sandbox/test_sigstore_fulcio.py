"""Fulcio: token checks, certificate contents like real Fulcio for GitHub Actions, embedded SCT."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from sigstore._internal.sct import verify_sct
from sigstore._internal.trust import KeyringPurpose
from sigstore.models import ClientTrustConfig

from chainkit.sandbox._sigstore import GITHUB_ISSUER, SigstoreAuthority, _jwt
from chainkit.sandbox._sigstore._common import Rejected
from chainkit.sandbox._sigstore._fulcio import Fulcio

NOW = 1_900_000_000.0


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> SigstoreAuthority:
    return SigstoreAuthority(tmp_path_factory.mktemp("fulcio"))


@pytest.fixture(scope="module")
def fulcio(authority: SigstoreAuthority) -> Fulcio:
    return Fulcio(authority, clock=lambda: NOW)


def _csr_body(key: ec.EllipticCurvePrivateKey | None = None) -> bytes:
    key = key or ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .sign(key, hashes.SHA256())
    )
    pem = csr.public_bytes(serialization.Encoding.PEM)
    return json.dumps({"certificateSigningRequest": base64.b64encode(pem).decode()}).encode()


def _token(authority: SigstoreAuthority, **claims: Any) -> str:
    claims.setdefault("now", datetime.fromtimestamp(NOW - 5, tz=timezone.utc))
    return authority.identity_token(**claims)


def _issue(fulcio: Fulcio, token: str, body: bytes | None = None) -> list[x509.Certificate]:
    response = fulcio.signing_cert(body or _csr_body(), f"Bearer {token}")
    pems = response["signedCertificateEmbeddedSct"]["chain"]["certificates"]
    return [x509.load_pem_x509_certificate(p.encode()) for p in pems]


def _ext(cert: x509.Certificate, n: int) -> bytes:
    oid = x509.ObjectIdentifier(f"1.3.6.1.4.1.57264.1.{n}")
    value = cert.extensions.get_extension_for_oid(oid).value
    assert isinstance(value, x509.UnrecognizedExtension)
    return value.value


def _utf8(der: bytes) -> str:
    assert der[0] == 0x0C and der[1] < 0x80
    return der[2:].decode()


def test_certificate_is_like_fulcio_for_github_actions(
    authority: SigstoreAuthority, fulcio: Fulcio
) -> None:
    token = _token(authority, environment="release", event="push")
    leaf, intermediate, root = _issue(fulcio, token)
    assert intermediate == authority.cert("fulcio-intermediate")
    assert root == authority.cert("fulcio-root")
    assert leaf.subject == x509.Name([])
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc == timedelta(minutes=10)
    assert leaf.not_valid_before_utc.timestamp() == NOW
    ku = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and not ku.value.key_cert_sign
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CODE_SIGNING]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    workflow = "https://github.com/acme/widgets/.github/workflows/release.yml@refs/heads/main"
    assert san.critical
    assert san.value.get_values_for_type(x509.UniformResourceIdentifier) == [workflow]

    claims = jwt.decode(token, options={"verify_signature": False})
    legacy = {1: GITHUB_ISSUER, 2: "push", 3: claims["sha"], 4: "release", 5: "acme/widgets",
              6: "refs/heads/main"}  # fmt: skip
    for n, value in legacy.items():
        assert _ext(leaf, n) == value.encode()
    expected = {
        8: GITHUB_ISSUER,
        9: workflow,
        10: claims["job_workflow_sha"],
        11: "github-hosted",
        12: "https://github.com/acme/widgets",
        13: claims["sha"],
        14: "refs/heads/main",
        15: claims["repository_id"],
        16: "https://github.com/acme",
        17: claims["repository_owner_id"],
        18: workflow,
        19: claims["workflow_sha"],
        20: "push",
        21: f"https://github.com/acme/widgets/actions/runs/{claims['run_id']}/attempts/1",
        22: "public",
    }
    for n, value in expected.items():
        assert _utf8(_ext(leaf, n)) == value, n


def test_embedded_sct_verifies_with_the_trusted_root_ct_key(
    authority: SigstoreAuthority, fulcio: Fulcio
) -> None:
    leaf, *chain = _issue(fulcio, _token(authority))
    config = ClientTrustConfig.from_json(
        json.dumps(authority.client_trust_config("http://127.0.0.1:1"))
    )
    verify_sct(leaf, chain, config.trusted_root.ct_keyring(KeyringPurpose.VERIFY))
    assert leaf.tbs_precertificate_bytes != leaf.tbs_certificate_bytes


def test_public_key_request_with_proof_of_possession(
    authority: SigstoreAuthority, fulcio: Fulcio
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    proof = key.sign(b"repo:acme/widgets:ref:refs/heads/main", ec.ECDSA(hashes.SHA256()))
    body = {
        "credentials": {"oidcIdentityToken": _token(authority)},
        "publicKeyRequest": {
            "publicKey": {"algorithm": "ECDSA", "content": pem.decode()},
            "proofOfPossession": base64.b64encode(proof).decode(),
        },
    }
    response = fulcio.signing_cert(json.dumps(body).encode(), None)
    leaf_pem = response["signedCertificateEmbeddedSct"]["chain"]["certificates"][0]
    assert x509.load_pem_x509_certificate(leaf_pem.encode()).public_key() == key.public_key()
    body["publicKeyRequest"]["proofOfPossession"] = base64.b64encode(b"0" * 70).decode()
    with pytest.raises(Rejected, match="proofOfPossession"):
        fulcio.signing_cert(json.dumps(body).encode(), None)


def _rejected(fulcio: Fulcio, token: str | None, body: bytes | None = None) -> Rejected:
    with pytest.raises(Rejected) as caught:
        fulcio.signing_cert(body or _csr_body(), f"Bearer {token}" if token else None)
    return caught.value


def test_token_rejections(authority: SigstoreAuthority, fulcio: Fulcio, tmp_path: Path) -> None:
    expired = _token(authority, now=datetime.fromtimestamp(NOW - 700, tz=timezone.utc))
    error = _rejected(fulcio, expired)
    assert (error.status, error.code) == (401, 16)
    assert "expired" in error.message

    future = _token(authority, now=datetime.fromtimestamp(NOW + 3600, tz=timezone.utc))
    assert "not valid yet" in _rejected(fulcio, future).message

    foreign = SigstoreAuthority(tmp_path).identity_token()
    error = _rejected(fulcio, foreign)
    assert error.status == 401 and "signature" in error.message
    assert foreign not in error.message

    assert _rejected(fulcio, None).status == 401
    assert _rejected(fulcio, "a.b").status == 401


def test_csr_with_a_bad_signature_is_rejected(authority: SigstoreAuthority, fulcio: Fulcio) -> None:
    body = json.loads(_csr_body())
    pem = base64.b64decode(body["certificateSigningRequest"])
    der = x509.load_pem_x509_csr(pem).public_bytes(serialization.Encoding.DER)
    broken = x509.load_der_x509_csr(der[:-3] + bytes(b ^ 0xFF for b in der[-3:]))
    body["certificateSigningRequest"] = base64.b64encode(
        broken.public_bytes(serialization.Encoding.PEM)
    ).decode()
    error = _rejected(fulcio, _token(authority), json.dumps(body).encode())
    assert error.status == 400 and "proof of possession" in error.message


@pytest.mark.parametrize("body", [b"[]", b"{", b'{"certificateSigningRequest": "bm9wZQ=="}', b"{}"])
def test_malformed_requests_are_400(
    authority: SigstoreAuthority, fulcio: Fulcio, body: bytes
) -> None:
    assert _rejected(fulcio, _token(authority), body).status == 400


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"aud": "other"}, "audience"),
        ({"aud": ["other", "sigstore"]}, None),
        ({"iss": "https://accounts.google.com"}, "issuer"),
        ({"job_workflow_ref": None}, "job_workflow_ref"),
    ],
)
def test_claim_checks(
    authority: SigstoreAuthority, fulcio: Fulcio, change: dict[str, Any], reason: str | None
) -> None:
    claims = jwt.decode(_token(authority), options={"verify_signature": False})
    claims.update(change)
    token = _jwt.encode(
        {k: v for k, v in claims.items() if v is not None},
        authority.key("oidc"),
        kid=authority.oidc_key_id,
    )
    if reason is None:
        assert len(_issue(fulcio, token)) == 3
    else:
        assert reason in _rejected(fulcio, token).message
