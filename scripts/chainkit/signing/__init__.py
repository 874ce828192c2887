"""The signing boundary: keyless Sigstore signing and offline verification."""

from __future__ import annotations

from chainkit.signing._errors import (
    BundleVerificationError,
    SigningError,
    SigningServiceError,
    SigningUsageError,
)
from chainkit.signing._signer import KeylessSigner, load_trust_config
from chainkit.signing._tokens import (
    TokenProvider,
    ambient_github_token,
    sandbox_token,
    static_token,
)
from chainkit.signing._verify import (
    GITHUB_ISSUER,
    BundleVerifier,
    IdentityPolicy,
    VerifiedBundle,
    certificate_facts,
)

__all__ = [
    "GITHUB_ISSUER",
    "BundleVerificationError",
    "BundleVerifier",
    "IdentityPolicy",
    "KeylessSigner",
    "SigningError",
    "SigningServiceError",
    "SigningUsageError",
    "TokenProvider",
    "VerifiedBundle",
    "ambient_github_token",
    "certificate_facts",
    "load_trust_config",
    "sandbox_token",
    "static_token",
]
