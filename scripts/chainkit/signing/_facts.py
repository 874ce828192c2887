"""Who signed: the one description of a Fulcio certificate's identity.

:class:`CertificateFacts` is read from a certificate (SAN and Sigstore's OID
extensions, 1.3.6.1.4.1.57264.1.*) and is what policies check, reports print and the
release notes tell verifiers to pin. The facts of an unverified bundle are claims, not
truths: only :class:`~chainkit.signing.BundleVerifier` establishes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

__all__ = ["GITHUB_ISSUER", "CertificateFacts"]

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
_GITHUB_SERVER = "https://github.com/"

_OID_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1"
_OID_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"
_OID_BUILD_CONFIG_URI = "1.3.6.1.4.1.57264.1.18"
_OID_SOURCE_REPO_URI = "1.3.6.1.4.1.57264.1.12"
_OID_SOURCE_REPO_DIGEST = "1.3.6.1.4.1.57264.1.13"
_OID_SOURCE_REPO_REF = "1.3.6.1.4.1.57264.1.14"
_OID_TRIGGER = "1.3.6.1.4.1.57264.1.20"
_OID_RUN_URI = "1.3.6.1.4.1.57264.1.21"

_MAX_TEXT = 4096


def _ext_text(cert: Certificate, dotted: str) -> str | None:
    """The text of a Sigstore extension: DER UTF8String (v2) or raw bytes (v1)."""
    from cryptography import x509
    from cryptography.x509.oid import ObjectIdentifier

    try:
        ext = cert.extensions.get_extension_for_oid(ObjectIdentifier(dotted))
    except x509.ExtensionNotFound:
        return None
    value = ext.value
    if not isinstance(value, x509.UnrecognizedExtension):
        return None
    raw: bytes = value.value[: _MAX_TEXT + 8]
    if raw[:1] == b"\x0c" and len(raw) >= 2:
        length = raw[1]
        offset = 2
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(raw[2 : 2 + n], "big")
            offset = 2 + n
        raw = raw[offset : offset + length]
    return raw[:_MAX_TEXT].decode("utf-8", "replace")


@dataclass(frozen=True)
class CertificateFacts:
    """The signer's identity as a Fulcio certificate states it (``None``: not stated)."""

    identity: str | None
    """The SAN: a workflow URI for GitHub Actions, an e-mail address for people."""
    issuer: str | None
    """The OIDC issuer (extension .8, or the legacy .1)."""
    source_repository_uri: str | None = None
    """The repository whose workflow ran (.12), e.g. ``https://github.com/acme/widgets``."""
    source_repository_ref: str | None = None
    """``refs/heads/main`` (.14)."""
    source_repository_digest: str | None = None
    """The commit the workflow ran at (.13)."""
    build_config_uri: str | None = None
    """The top-level workflow file and ref (.18)."""
    trigger: str | None = None
    """The event that started the workflow (.20)."""
    run_invocation_uri: str | None = None
    """The workflow run (.21)."""

    @classmethod
    def from_certificate(cls, cert: Certificate) -> CertificateFacts:
        """Read the facts of ``cert``; absent or unreadable fields are ``None``."""
        from cryptography import x509

        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            uris = san.get_values_for_type(x509.UniformResourceIdentifier)
            emails = san.get_values_for_type(x509.RFC822Name)
            names: list[str] = [*uris, *emails]
            identity: str | None = names[0] if names else None
        except x509.ExtensionNotFound:
            identity = None
        return cls(
            identity=identity,
            issuer=_ext_text(cert, _OID_ISSUER_V2) or _ext_text(cert, _OID_ISSUER_V1),
            source_repository_uri=_ext_text(cert, _OID_SOURCE_REPO_URI),
            source_repository_ref=_ext_text(cert, _OID_SOURCE_REPO_REF),
            source_repository_digest=_ext_text(cert, _OID_SOURCE_REPO_DIGEST),
            build_config_uri=_ext_text(cert, _OID_BUILD_CONFIG_URI),
            trigger=_ext_text(cert, _OID_TRIGGER),
            run_invocation_uri=_ext_text(cert, _OID_RUN_URI),
        )

    @property
    def source_repository(self) -> str | None:
        """``OWNER/NAME`` for a github.com repository, else the full URI (as ``--source-repository``
        accepts both)."""
        uri = self.source_repository_uri
        if uri is not None and uri.startswith(_GITHUB_SERVER):
            return uri[len(_GITHUB_SERVER) :]
        return uri

    def to_json(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "issuer": self.issuer,
            "source_repository_uri": self.source_repository_uri,
            "source_repository_ref": self.source_repository_ref,
            "source_repository_digest": self.source_repository_digest,
            "build_config_uri": self.build_config_uri,
            "trigger": self.trigger,
            "run_invocation_uri": self.run_invocation_uri,
        }
