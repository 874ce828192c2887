"""Verify what was signed: bundles on GitHub releases, or local files.

Each bundle is checked offline against the trusted root (signature, certificate
chain, transparency-log inclusion) and the identity policy (identity, issuer and
the source-repository extension); each backfill attestation is checked the same
way and its subjects are compared with the release's assets.
"""

from __future__ import annotations

from chainkit.verify._core import (
    AttestationResult,
    BundleResult,
    VerifyReport,
    verify_files,
    verify_releases,
)

__all__ = [
    "AttestationResult",
    "BundleResult",
    "VerifyReport",
    "verify_files",
    "verify_releases",
]
