"""The signing boundary: keyless Sigstore signing, bundles, identities, offline verification.

- :class:`KeylessSigner` signs digests and in-toto statements, renewing its Fulcio
  certificate as needed; identity tokens come from a :data:`TokenProvider`
  (:func:`static_token`, :func:`ambient_github_token`);
  :func:`token_claims` / :func:`require_unexpired` read a token's (unverified) claims.
- :func:`load_bundle` is the one bundle parser (every failure is
  :class:`InvalidBundleError`); :func:`bundle_facts` and :class:`CertificateFacts`
  say who a certificate claims signed.
- :func:`load_trust_config` reads a trust config file, or production Sigstore's root
  (refreshed over TUF, or with ``offline`` the one embedded in sigstore-python:
  :func:`embedded_production_trust_config`).
- :class:`BundleVerifier` checks bundles offline against an :class:`IdentityPolicy`
  and returns :class:`VerifiedBundle`.

Every failure is a :class:`SigningError`. sigstore-python is imported lazily, so
importing this package does not load it.
"""

from __future__ import annotations

from chainkit.signing._bundle import (
    MAX_BUNDLE_BYTES,
    LogPosition,
    bundle_facts,
    load_bundle,
    log_position,
)
from chainkit.signing._errors import (
    BundleVerificationError,
    InvalidBundleError,
    SigningError,
    SigningServiceError,
    SigningUsageError,
)
from chainkit.signing._facts import GITHUB_ISSUER, CertificateFacts
from chainkit.signing._signer import (
    KeylessSigner,
    embedded_production_trust_config,
    load_trust_config,
)
from chainkit.signing._tokens import (
    TokenProvider,
    ambient_github_token,
    require_unexpired,
    static_token,
    token_claims,
)
from chainkit.signing._verify import BundleVerifier, IdentityPolicy, VerifiedBundle

__all__ = [
    "GITHUB_ISSUER",
    "MAX_BUNDLE_BYTES",
    "BundleVerificationError",
    "BundleVerifier",
    "CertificateFacts",
    "IdentityPolicy",
    "InvalidBundleError",
    "KeylessSigner",
    "LogPosition",
    "SigningError",
    "SigningServiceError",
    "SigningUsageError",
    "TokenProvider",
    "VerifiedBundle",
    "ambient_github_token",
    "bundle_facts",
    "embedded_production_trust_config",
    "load_bundle",
    "load_trust_config",
    "log_position",
    "require_unexpired",
    "static_token",
    "token_claims",
]
