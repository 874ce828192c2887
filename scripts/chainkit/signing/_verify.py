"""Offline verification of Sigstore bundles with sigstore-python's ``Verifier``.

A policy always pins the OIDC issuer and the identity (exact or regular
expression), and for GitHub Actions identities it should also pin the **source
repository** certificate extension (OID 1.3.6.1.4.1.57264.1.12): anyone may call a
public reusable workflow, so the SAN alone proves little (cli/cli#9045).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chainkit.signing._bundle import bundle_facts, load_bundle, log_position
from chainkit.signing._errors import BundleVerificationError, SigningUsageError
from chainkit.signing._facts import CertificateFacts

if TYPE_CHECKING:
    from sigstore.models import Bundle, ClientTrustConfig, TrustedRoot
    from sigstore.verify.policy import VerificationPolicy

__all__ = ["BundleVerifier", "IdentityPolicy", "VerifiedBundle"]

_IN_TOTO = "application/vnd.in-toto+json"


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

    @classmethod
    def pinning(cls, facts: CertificateFacts) -> IdentityPolicy:
        """Exactly the issuer, identity and source repository of ``facts``.

        Missing facts pin the empty string (which no certificate satisfies), except a
        missing source repository, which is then not checked (non-GitHub identities).
        """
        return cls(
            issuer=facts.issuer or "",
            identity=facts.identity or "",
            source_repository=facts.source_repository_uri,
        )

    @property
    def source_repository_uri(self) -> str | None:
        if self.source_repository is None:
            return None
        return _repository_uri(self.source_repository, self.server_url)

    def check(self, facts: CertificateFacts) -> None:
        """Raise :class:`BundleVerificationError` unless ``facts`` satisfy the policy."""
        if facts.issuer != self.issuer:
            raise BundleVerificationError(
                f"certificate issuer is {facts.issuer!r}, expected {self.issuer!r}"
            )
        identity = facts.identity or ""
        if self.identity is not None and identity != self.identity:
            raise BundleVerificationError(
                f"certificate identity is {identity!r}, expected {self.identity!r}"
            )
        if self.identity_regexp is not None and not re.fullmatch(self.identity_regexp, identity):
            raise BundleVerificationError(
                f"certificate identity {identity!r} does not match {self.identity_regexp!r}"
            )
        expected_repo = self.source_repository_uri
        if expected_repo is not None and facts.source_repository_uri != expected_repo:
            raise BundleVerificationError(
                f"certificate source repository is {facts.source_repository_uri!r}, "
                f"expected {expected_repo!r}",
                remediation="the bundle was signed by a workflow running in another repository",
            )

    def to_sigstore(self) -> VerificationPolicy:
        """The equivalent sigstore-python policy (checked in addition to :meth:`check`)."""
        from sigstore.verify import policy

        checks: list[VerificationPolicy] = []
        if self.identity is not None:
            checks.append(policy.Identity(identity=self.identity, issuer=self.issuer))
        else:
            checks.append(policy.OIDCIssuer(self.issuer))
        if self.source_repository_uri is not None:
            checks.append(policy.OIDCSourceRepositoryURI(self.source_repository_uri))
        return policy.AllOf(checks)


@dataclass(frozen=True)
class VerifiedBundle:
    """What a successful verification established: who signed, and where it is logged."""

    facts: CertificateFacts
    log_index: int
    integrated_time: int | None

    @property
    def identity(self) -> str | None:
        return self.facts.identity

    @property
    def issuer(self) -> str | None:
        return self.facts.issuer

    @property
    def source_repository_uri(self) -> str | None:
        return self.facts.source_repository_uri

    def to_json(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "issuer": self.issuer,
            "source_repository_uri": self.source_repository_uri,
            "log_index": self.log_index,
            "integrated_time": self.integrated_time,
        }


def _as_bytes(bundle_json: bytes | str) -> bytes:
    return bundle_json.encode("utf-8") if isinstance(bundle_json, str) else bundle_json


def _summary(bundle: Bundle, facts: CertificateFacts, source: str) -> VerifiedBundle:
    position = log_position(bundle, source=source)
    return VerifiedBundle(
        facts=facts, log_index=position.log_index, integrated_time=position.integrated_time
    )


class BundleVerifier:
    """Verify bundles offline against a trusted root (no network)."""

    def __init__(self, *, trusted_root: TrustedRoot) -> None:
        from sigstore.verify import Verifier

        self._verifier = Verifier(trusted_root=trusted_root)

    @classmethod
    def from_trust_config(cls, trust_config: ClientTrustConfig) -> BundleVerifier:
        return cls(trusted_root=trust_config.trusted_root)

    def verify_as_its_signer(
        self, sha256_hex: str, bundle_json: bytes | str, *, source: str = "the bundle"
    ) -> VerifiedBundle:
        """Verify a bundle over ``sha256_hex`` held to the identity in its **own**
        certificate: does it verify at all (signature, chain, log inclusion)?

        The rule for bundles already on a release: one that verifies is someone's valid
        statement and is never replaced; only one that fails here may be. Not a trust
        decision about who signed: use :meth:`verify_digest` with a policy for that.
        """
        facts = bundle_facts(load_bundle(_as_bytes(bundle_json), source=source))
        own = IdentityPolicy(issuer=facts.issuer or "", identity=facts.identity or "")
        return self.verify_digest(sha256_hex, bundle_json, own, source=source)

    def verify_digest(
        self,
        sha256_hex: str,
        bundle_json: bytes | str,
        policy: IdentityPolicy,
        *,
        source: str = "the bundle",
    ) -> VerifiedBundle:
        """Verify a bundle over an artifact known by its SHA-256."""
        from sigstore.errors import VerificationError
        from sigstore.hashes import Hashed
        from sigstore_models.common.v1 import HashAlgorithm

        bundle = load_bundle(_as_bytes(bundle_json), source=source)
        try:
            digest = bytes.fromhex(sha256_hex)
        except ValueError as exc:
            raise BundleVerificationError(f"not a sha256 hex digest: {sha256_hex!r}") from exc
        hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=digest)
        facts = bundle_facts(bundle)
        policy.check(facts)
        try:
            self._verifier.verify_artifact(hashed, bundle, policy.to_sigstore())
        except VerificationError as exc:
            raise BundleVerificationError(f"bundle does not verify: {exc}") from exc
        return _summary(bundle, facts, source)

    def verify_statement(
        self, bundle_json: bytes | str, policy: IdentityPolicy, *, source: str = "the bundle"
    ) -> tuple[bytes, VerifiedBundle]:
        """Verify a DSSE bundle; return the in-toto statement bytes it carries.

        The statement itself is not parsed here: see :func:`chainkit.attestation.parse_statement`.
        """
        from sigstore.errors import VerificationError

        bundle = load_bundle(_as_bytes(bundle_json), source=source)
        facts = bundle_facts(bundle)
        policy.check(facts)
        try:
            payload_type, payload = self._verifier.verify_dsse(bundle, policy.to_sigstore())
        except VerificationError as exc:
            raise BundleVerificationError(f"attestation does not verify: {exc}") from exc
        if payload_type != _IN_TOTO:
            raise BundleVerificationError(f"unexpected DSSE payload type {payload_type!r}")
        return bytes(payload), _summary(bundle, facts, source)
