"""Offline verification of Sigstore bundles with sigstore-python's ``Verifier``.

A policy always pins the OIDC issuer and the identity (exact or regular
expression), and for GitHub Actions identities it should also pin the **source
repository** certificate extension (OID 1.3.6.1.4.1.57264.1.12): anyone may call a
public reusable workflow, so the SAN alone proves little (cli/cli#9045).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chainkit.signing._errors import BundleVerificationError, SigningUsageError

__all__ = ["BundleVerifier", "IdentityPolicy", "VerifiedBundle", "certificate_facts"]

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"

_OID_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"
_OID_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1"
_OID_SOURCE_REPO_URI = "1.3.6.1.4.1.57264.1.12"
_OID_SOURCE_REPO_REF = "1.3.6.1.4.1.57264.1.14"
_OID_TRIGGER = "1.3.6.1.4.1.57264.1.20"
_OID_RUN_URI = "1.3.6.1.4.1.57264.1.21"


def _ext_text(cert: Any, dotted: str) -> str | None:
    from cryptography import x509
    from cryptography.x509.oid import ObjectIdentifier

    try:
        ext = cert.extensions.get_extension_for_oid(ObjectIdentifier(dotted))
    except x509.ExtensionNotFound:
        return None
    raw: bytes = ext.value.value
    # v2 extensions are DER UTF8String (tag 0x0c, short or long length); v1 are raw.
    if raw[:1] == b"\x0c" and len(raw) >= 2:
        length = raw[1]
        offset = 2
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(raw[2 : 2 + n], "big")
            offset = 2 + n
        return raw[offset : offset + length].decode("utf-8", "replace")
    return raw.decode("utf-8", "replace")


def certificate_facts(cert: Any) -> dict[str, str | None]:
    """SAN and the GitHub-specific extensions of a Fulcio certificate, for reports."""
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        uris = san.get_values_for_type(x509.UniformResourceIdentifier)
        emails = san.get_values_for_type(x509.RFC822Name)
        identity = (uris or emails or [None])[0]
    except x509.ExtensionNotFound:
        identity = None
    return {
        "identity": identity,
        "issuer": _ext_text(cert, _OID_ISSUER_V2) or _ext_text(cert, _OID_ISSUER_V1),
        "source_repository_uri": _ext_text(cert, _OID_SOURCE_REPO_URI),
        "source_repository_ref": _ext_text(cert, _OID_SOURCE_REPO_REF),
        "trigger": _ext_text(cert, _OID_TRIGGER),
        "run_invocation_uri": _ext_text(cert, _OID_RUN_URI),
    }


def _repository_uri(value: str, server_url: str) -> str:
    if "://" in value:
        return value.rstrip("/")
    return f"{server_url.rstrip('/')}/{value.strip('/')}"


@dataclass(frozen=True)
class IdentityPolicy:
    """Who must have signed: issuer, identity (or pattern), and source repository."""

    issuer: str
    identity: str | None = None
    identity_regexp: str | None = None
    source_repository: str | None = None
    """``OWNER/NAME`` (on ``server_url``) or a full repository URL; ``None`` skips the check."""
    server_url: str = "https://github.com"

    def __post_init__(self) -> None:
        if (self.identity is None) == (self.identity_regexp is None):
            raise SigningUsageError(
                "give exactly one of --cert-identity and --cert-identity-regexp"
            )
        if self.identity_regexp is not None:
            try:
                re.compile(self.identity_regexp)
            except re.error as exc:
                raise SigningUsageError(
                    f"--cert-identity-regexp is not a valid regex: {exc}"
                ) from exc

    @property
    def source_repository_uri(self) -> str | None:
        if self.source_repository is None:
            return None
        return _repository_uri(self.source_repository, self.server_url)

    def check(self, cert: Any) -> None:
        """Raise :class:`BundleVerificationError` unless ``cert`` satisfies the policy."""
        facts = certificate_facts(cert)
        if facts["issuer"] != self.issuer:
            raise BundleVerificationError(
                f"certificate issuer is {facts['issuer']!r}, expected {self.issuer!r}"
            )
        identity = facts["identity"] or ""
        if self.identity is not None and identity != self.identity:
            raise BundleVerificationError(
                f"certificate identity is {identity!r}, expected {self.identity!r}"
            )
        if self.identity_regexp is not None and not re.fullmatch(self.identity_regexp, identity):
            raise BundleVerificationError(
                f"certificate identity {identity!r} does not match {self.identity_regexp!r}"
            )
        expected_repo = self.source_repository_uri
        if expected_repo is not None and facts["source_repository_uri"] != expected_repo:
            raise BundleVerificationError(
                f"certificate source repository is {facts['source_repository_uri']!r}, "
                f"expected {expected_repo!r}",
                remediation="the bundle was signed by a workflow running in another repository",
            )

    def to_sigstore(self) -> Any:
        """The equivalent sigstore-python policy (checked in addition to :meth:`check`)."""
        from sigstore.verify import policy

        checks: list[Any] = []
        if self.identity is not None:
            checks.append(policy.Identity(identity=self.identity, issuer=self.issuer))
        else:
            checks.append(policy.OIDCIssuer(self.issuer))
        if self.source_repository_uri is not None:
            checks.append(policy.OIDCSourceRepositoryURI(self.source_repository_uri))
        return policy.AllOf(checks)


@dataclass(frozen=True)
class VerifiedBundle:
    """What a successful verification established."""

    identity: str | None
    issuer: str | None
    source_repository_uri: str | None
    log_index: int
    integrated_time: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "issuer": self.issuer,
            "source_repository_uri": self.source_repository_uri,
            "log_index": self.log_index,
            "integrated_time": self.integrated_time,
        }


def _parse_bundle(bundle_json: bytes | str) -> Any:
    from sigstore.models import Bundle

    try:
        return Bundle.from_json(bundle_json)
    except Exception as exc:  # pydantic/InvalidBundle
        raise BundleVerificationError(f"not a valid Sigstore bundle: {exc}") from exc


def _summary(bundle: Any) -> VerifiedBundle:
    facts = certificate_facts(bundle.signing_certificate)
    entry = bundle.log_entry._inner
    integrated = getattr(entry, "integrated_time", None)
    return VerifiedBundle(
        identity=facts["identity"],
        issuer=facts["issuer"],
        source_repository_uri=facts["source_repository_uri"],
        log_index=int(entry.log_index),
        integrated_time=int(integrated) if integrated else None,
    )


class BundleVerifier:
    """Verify bundles offline against a trusted root (no network)."""

    def __init__(self, *, trusted_root: Any) -> None:
        from sigstore.verify import Verifier

        self._verifier = Verifier(trusted_root=trusted_root)

    @classmethod
    def from_trust_config(cls, trust_config: Any) -> BundleVerifier:
        return cls(trusted_root=trust_config.trusted_root)

    def verify_digest(
        self, sha256_hex: str, bundle_json: bytes | str, policy: IdentityPolicy
    ) -> VerifiedBundle:
        """Verify a bundle over an artifact known by its SHA-256."""
        from sigstore.errors import VerificationError
        from sigstore.hashes import Hashed
        from sigstore_models.common.v1 import HashAlgorithm

        bundle = _parse_bundle(bundle_json)
        hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(sha256_hex))
        policy.check(bundle.signing_certificate)
        try:
            self._verifier.verify_artifact(hashed, bundle, policy.to_sigstore())
        except VerificationError as exc:
            raise BundleVerificationError(f"bundle does not verify: {exc}") from exc
        return _summary(bundle)

    def verify_statement(
        self, bundle_json: bytes | str, policy: IdentityPolicy
    ) -> tuple[bytes, VerifiedBundle]:
        """Verify a DSSE bundle; return the in-toto statement bytes it carries."""
        from sigstore.errors import VerificationError

        bundle = _parse_bundle(bundle_json)
        policy.check(bundle.signing_certificate)
        try:
            payload_type, payload = self._verifier.verify_dsse(bundle, policy.to_sigstore())
        except VerificationError as exc:
            raise BundleVerificationError(f"attestation does not verify: {exc}") from exc
        if payload_type != "application/vnd.in-toto+json":
            raise BundleVerificationError(f"unexpected DSSE payload type {payload_type!r}")
        return bytes(payload), _summary(bundle)
