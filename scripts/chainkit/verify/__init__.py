"""Verify what was signed: bundles on GitHub releases, or local files.

Each bundle is checked offline against the trusted root (signature, certificate
chain, transparency-log inclusion) and the identity policy (identity, issuer and
the source-repository extension); each backfill attestation is checked the same
way, its statement and predicate are read strictly (:mod:`chainkit.attestation`) and
its subjects are compared with the sha256 of the release's real assets.

- :func:`verify_repository` selects a repository's releases (tag globs) and returns the
  :class:`VerifyReport`; :func:`verify_releases` is its stream of
  :class:`BundleResult` / :class:`AttestationResult` values. Every asset gets exactly one
  result: ``verified``, ``failed`` or ``unsigned`` (no bundle: a failure unless unsigned
  assets are allowed), so a run never passes over an asset nobody signed;
- :func:`verify_files` checks local files against ``<file>.sigstore.json``;
- :class:`VerifyReport` collects results and renders JSON, Markdown and table rows;
- :class:`NothingToVerifyError` (exit 2): nothing was selected;
- :class:`ExistingBundleCheck` tells ``backfill plan --verify-existing`` whether a
  bundle already on a release verifies.

Clients and verifiers are injected as keyword-only arguments.
"""

from __future__ import annotations

from chainkit.verify._errors import NothingToVerifyError, VerifyError
from chainkit.verify._existing import ExistingBundleCheck
from chainkit.verify._files import verify_files
from chainkit.verify._releases import verify_releases, verify_repository
from chainkit.verify._report import AttestationResult, BundleResult, BundleStatus, VerifyReport

__all__ = [
    "AttestationResult",
    "BundleResult",
    "BundleStatus",
    "ExistingBundleCheck",
    "NothingToVerifyError",
    "VerifyError",
    "VerifyReport",
    "verify_files",
    "verify_releases",
    "verify_repository",
]
