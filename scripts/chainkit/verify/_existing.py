"""Bundles already on a release, checked for ``backfill plan --verify-existing``."""

from __future__ import annotations

import logging

from chainkit._internal.hashing import sha256_chunks
from chainkit.errors import Error
from chainkit.github import Asset, GitHubClient, Release
from chainkit.signing import (
    MAX_BUNDLE_BYTES,
    BundleVerifier,
)

__all__ = ["ExistingBundleCheck"]

_log = logging.getLogger("chainkit.verify")


class ExistingBundleCheck:
    """``check(release, asset, bundle) -> valid``: does a bundle on a release verify over
    the asset's bytes (signature, chain, log inclusion)?

    The bundle is held to the identity in its own certificate: "invalid" means it does
    not verify at all - only then may a backfill replace it. A valid bundle made by
    another signer is someone else's statement and counts as valid. Unreadable and
    failing bundles are logged and reported invalid; GitHub failures propagate.
    """

    def __init__(self, *, client: GitHubClient, verifier: BundleVerifier) -> None:
        self._client = client
        self._verifier = verifier

    def __call__(self, release: Release, asset: Asset, bundle: Asset) -> bool:
        sha256 = sha256_chunks(self._client.stream_asset(asset))
        data = self._client.fetch_small(bundle, max_bytes=MAX_BUNDLE_BYTES)
        try:
            self._verifier.verify_as_its_signer(sha256, data, source=repr(bundle.name))
        except Error as exc:
            _log.warning("%s: existing bundle %s is invalid: %s", release.tag, bundle.name, exc)
            return False
        return True
