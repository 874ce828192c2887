"""Fulcio v2 ``signingCert``: short-lived code-signing certificates for GitHub Actions identities.

Certificates follow real Fulcio for GitHub Actions tokens: empty subject, critical URI SAN
``https://github.com/<job_workflow_ref>``, 10-minute lifetime, KU digitalSignature, EKU codeSigning,
the legacy raw-string extensions 1.3.6.1.4.1.57264.1.1-.6, the DER UTF8String extensions
.1.8-.1.22 and an embedded SCT from the sandbox CT log (signed over the precertificate TBS).
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from chainkit.sandbox._sigstore import _der, _jwt
from chainkit.sandbox._sigstore._authority import GITHUB_ISSUER, SigstoreAuthority, key_id
from chainkit.sandbox._sigstore._common import Rejected, key_usage

__all__ = ["CERT_LIFETIME", "Fulcio", "github_extensions"]

CERT_LIFETIME = timedelta(minutes=10)
_GITHUB = "https://github.com/"
_UNAUTHENTICATED = 16
_INVALID_ARGUMENT = 3
_TOKEN_ERROR = "There was an error processing the identity token"  # noqa: S105 - a message  # nosec B105
_CLOCK_SKEW = 60


def _oid(n: int) -> x509.ObjectIdentifier:
    return x509.ObjectIdentifier(f"1.3.6.1.4.1.57264.1.{n}")


def github_extensions(claims: dict[str, Any]) -> list[tuple[x509.ObjectIdentifier, bytes]]:
    """Fulcio's extensions for a GitHub Actions token: (OID, extnValue) in Fulcio's order."""

    def claim(name: str) -> str:
        value = claims.get(name)
        if not isinstance(value, str) or not value:
            raise Rejected(
                400,
                f"{_TOKEN_ERROR}: claim {name!r} is missing or not a string",
                code=_INVALID_ARGUMENT,
            )
        return value

    repository = claim("repository")
    legacy = [
        (1, GITHUB_ISSUER),
        (2, claim("event_name")),
        (3, claim("sha")),
        (4, claim("workflow")),
        (5, repository),
        (6, claim("ref")),
    ]
    modern = [
        (8, GITHUB_ISSUER),
        (9, _GITHUB + claim("job_workflow_ref")),
        (10, claim("job_workflow_sha")),
        (11, claim("runner_environment")),
        (12, _GITHUB + repository),
        (13, claim("sha")),
        (14, claim("ref")),
        (15, claim("repository_id")),
        (16, _GITHUB + claim("repository_owner")),
        (17, claim("repository_owner_id")),
        (18, _GITHUB + claim("workflow_ref")),
        (19, claim("workflow_sha")),
        (20, claim("event_name")),
        (
            21,
            f"{_GITHUB}{repository}/actions/runs/{claim('run_id')}/attempts/{claim('run_attempt')}",
        ),
        (22, claim("repository_visibility")),
    ]
    return [(_oid(n), v.encode()) for n, v in legacy] + [
        (_oid(n), _der.utf8_string(v)) for n, v in modern
    ]


def _sct_list(sct: bytes) -> bytes:
    """The extnValue of the embedded SCT list extension: OCTET STRING of a TLS SCT list."""
    item = struct.pack("!H", len(sct)) + sct
    return _der.octet_string(struct.pack("!H", len(item)) + item)


class Fulcio:
    """Issue certificates; ``signing_cert`` is the body of ``POST /api/v2/signingCert``."""

    def __init__(
        self, authority: SigstoreAuthority, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._authority = authority
        self._clock = clock
        self._ca_key = authority.key("fulcio-intermediate")
        self._ca_cert = authority.cert("fulcio-intermediate")
        self._ct_key = authority.key("ctlog")
        self._oidc_public = authority.key("oidc").public_key()
        self._lock = threading.Lock()
        self.issued = 0
        """How many certificates were issued (tests count Fulcio calls with it)."""

    def chain_pem(self) -> list[str]:
        return [
            self._authority.cert(n).public_bytes(serialization.Encoding.PEM).decode()
            for n in ("fulcio-intermediate", "fulcio-root")
        ]

    # -- request handling ---------------------------------------------------------------------

    def signing_cert(self, body: bytes, authorization: str | None) -> dict[str, Any]:
        try:
            request = json.loads(body or b"{}")
        except ValueError as exc:
            raise Rejected(400, "request body is not JSON", code=_INVALID_ARGUMENT) from exc
        if not isinstance(request, dict):
            raise Rejected(400, "request body is not a JSON object", code=_INVALID_ARGUMENT)
        token = self._token(request, authorization)
        claims = self._verify_token(token)
        public_key = self._public_key(request, claims)
        cert = self.issue(public_key, claims)
        with self._lock:
            self.issued += 1
        chain = [cert.public_bytes(serialization.Encoding.PEM).decode(), *self.chain_pem()]
        return {"signedCertificateEmbeddedSct": {"chain": {"certificates": chain}}}

    @staticmethod
    def _token(request: dict[str, Any], authorization: str | None) -> str:
        if authorization and authorization.lower().startswith("bearer "):
            return authorization[7:].strip()
        credentials = request.get("credentials")
        if isinstance(credentials, dict) and isinstance(credentials.get("oidcIdentityToken"), str):
            return str(credentials["oidcIdentityToken"])
        raise Rejected(
            401,
            f"{_TOKEN_ERROR}: no identity token (send 'Authorization: Bearer TOKEN' or "
            "credentials.oidcIdentityToken)",
            code=_UNAUTHENTICATED,
        )

    def _verify_token(self, token: str) -> dict[str, Any]:
        def reject(reason: str) -> Rejected:
            return Rejected(401, f"{_TOKEN_ERROR}: {reason}", code=_UNAUTHENTICATED)

        try:
            claims = _jwt.decode(token, self._oidc_public)
        except _jwt.InvalidToken as exc:
            raise reject(
                f"{exc}; get a token from this sandbox ('chainkit sandbox token')"
            ) from exc
        if claims.get("iss") != GITHUB_ISSUER:
            raise reject(f"unsupported issuer (expected {GITHUB_ISSUER})")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if "sigstore" not in audiences:
            raise reject("audience must contain 'sigstore'")
        now = self._clock()
        exp = claims.get("exp")
        if not isinstance(exp, int | float):
            raise reject("token has no 'exp' claim")
        if now >= exp:
            raise reject("token is expired; request a fresh identity token")
        for name in ("nbf", "iat"):
            value = claims.get(name)
            if isinstance(value, int | float) and value > now + _CLOCK_SKEW:
                raise reject(f"token is not valid yet ({name} is in the future)")
        if not isinstance(claims.get("sub"), str):
            raise reject("token has no 'sub' claim")
        return claims

    @staticmethod
    def _public_key(request: dict[str, Any], claims: dict[str, Any]) -> Any:
        def bad(message: str) -> Rejected:
            return Rejected(400, message, code=_INVALID_ARGUMENT)

        csr_text = request.get("certificateSigningRequest")
        if isinstance(csr_text, str):
            try:
                pem = base64.b64decode(csr_text, validate=True)
            except (binascii.Error, ValueError):
                pem = csr_text.encode()
            try:
                csr = x509.load_pem_x509_csr(pem)
            except ValueError as exc:
                raise bad("certificateSigningRequest is not a PEM CSR (base64 allowed)") from exc
            if not csr.is_signature_valid:
                raise bad("the CSR's signature does not verify (proof of possession failed)")
            return csr.public_key()
        key_request = request.get("publicKeyRequest")
        if isinstance(key_request, dict):
            public = key_request.get("publicKey")
            content = public.get("content") if isinstance(public, dict) else None
            proof = key_request.get("proofOfPossession")
            if not isinstance(content, str) or not isinstance(proof, str):
                raise bad("publicKeyRequest needs publicKey.content and proofOfPossession")
            try:
                key = serialization.load_pem_public_key(content.encode())
                signature = base64.b64decode(proof)
            except (ValueError, binascii.Error) as exc:
                raise bad("publicKeyRequest.publicKey.content is not a PEM public key") from exc
            subject = str(claims["sub"]).encode()
            try:
                if isinstance(key, ec.EllipticCurvePublicKey):
                    key.verify(signature, subject, ec.ECDSA(hashes.SHA256()))
                elif isinstance(key, ed25519.Ed25519PublicKey):
                    key.verify(signature, subject)
                else:
                    raise bad("unsupported public key type (use ECDSA or Ed25519)")
            except InvalidSignature as exc:
                raise bad("proofOfPossession does not verify over the token's subject") from exc
            return key
        raise bad("send certificateSigningRequest or publicKeyRequest")

    # -- issuance -----------------------------------------------------------------------------

    def issue(self, public_key: Any, claims: dict[str, Any]) -> x509.Certificate:
        """The certificate for ``public_key`` and the token ``claims`` (already verified)."""
        if not isinstance(
            public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey
        ):
            raise Rejected(400, "unsupported public key type", code=_INVALID_ARGUMENT)
        job_workflow_ref = claims.get("job_workflow_ref")
        if not isinstance(job_workflow_ref, str) or not job_workflow_ref:
            raise Rejected(
                400,
                f"{_TOKEN_ERROR}: claim 'job_workflow_ref' is missing",
                code=_INVALID_ARGUMENT,
            )
        now = datetime.fromtimestamp(int(self._clock()), tz=timezone.utc)
        ca_public = self._ca_key.public_key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self._ca_cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + CERT_LIFETIME)
            .add_extension(
                key_usage(ca=False),
                critical=True,
            )
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public), critical=False
            )
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.UniformResourceIdentifier(_GITHUB + job_workflow_ref)]
                ),
                critical=True,
            )
        )
        for oid, value in github_extensions(claims):
            builder = builder.add_extension(x509.UnrecognizedExtension(oid, value), critical=False)
        # The CT log signs the precertificate's TBS (the final TBS without the SCT list).
        precert = builder.sign(self._ca_key, hashes.SHA384())
        sct = self._sct(precert.tbs_certificate_bytes, timestamp_ms=int(self._clock() * 1000))
        cert = builder.add_extension(
            x509.UnrecognizedExtension(
                ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS, _sct_list(sct)
            ),
            critical=False,
        ).sign(self._ca_key, hashes.SHA384())
        if cert.tbs_precertificate_bytes != precert.tbs_certificate_bytes:  # pragma: no cover
            raise AssertionError("precertificate TBS mismatch")
        return cert

    def _sct(self, tbs: bytes, *, timestamp_ms: int) -> bytes:
        """An RFC 6962 v1 SCT for a precertificate entry, serialized as in the TLS list."""
        ca_public = self._ca_key.public_key()
        log_id = key_id(self._ct_key.public_key())
        extensions = b""
        signed = (
            struct.pack("!BBQH", 0, 0, timestamp_ms, 1)
            + key_id(ca_public)
            + len(tbs).to_bytes(3, "big")
            + tbs
            + struct.pack("!H", len(extensions))
            + extensions
        )
        signature = self._ct_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return (
            struct.pack("!B", 0)
            + log_id
            + struct.pack("!QH", timestamp_ms, len(extensions))
            + extensions
            + struct.pack("!BBH", 4, 3, len(signature))
            + signature
        )
