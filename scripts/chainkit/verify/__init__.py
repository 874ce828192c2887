"""Verify what was signed: bundles on GitHub releases, or local files.

Each bundle is checked offline against the trusted root (signature, certificate
chain, transparency-log inclusion) and the identity policy (identity, issuer and
the source-repository extension); each backfill attestation is checked the same
way, its statement and predicate are read strictly (:mod:`chainkit.attestation`) and
its subjects are compared with the sha256 of the release's real assets.

- :func:`verify_releases` walks releases (and a bundle release) and streams
  :class:`BundleResult` / :class:`AttestationResult` values;
- :func:`verify_files` checks local files against ``<file>.sigstore.json``;
- :class:`VerifyReport` collects results and renders JSON and Markdown;
- :class:`ExistingBundleCheck` tells ``backfill plan --verify-existing`` whether a
  bundle already on a release verifies.

Clients and verifiers are injected as keyword-only arguments.
"""

from __future__ import annotations

from chainkit.verify._existing import ExistingBundleCheck
from chainkit.verify._files import verify_files
from chainkit.verify._releases import verify_releases
from chainkit.verify._report import AttestationResult, BundleResult, BundleStatus, VerifyReport

__all__ = [
    "AttestationResult",
    "BundleResult",
    "BundleStatus",
    "ExistingBundleCheck",
    "VerifyReport",
    "verify_files",
    "verify_releases",
]
