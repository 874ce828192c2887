"""The release walk: find each release's bundles and attestations, and check them."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Sequence

from chainkit._internal.hashing import sha256_chunks
from chainkit.attestation import (
    BUNDLE_SUFFIX,
    bundle_name,
    bundle_release_prefix,
    github_asset_name,
    is_attestation_name,
)
from chainkit.github import Asset, GitHubClient, Release
from chainkit.signing import MAX_BUNDLE_BYTES, BundleVerifier, IdentityPolicy
from chainkit.verify._checks import check_attestation, check_bundle
from chainkit.verify._report import AttestationResult, BundleResult

__all__ = ["verify_releases"]


def _subject_for_bundle(name: str, assets: dict[str, Asset]) -> Asset | None:
    """The asset a ``<asset>.sigstore.json`` bundle belongs to (names may be sanitised)."""
    direct = assets.get(name[: -len(BUNDLE_SUFFIX)])
    if direct is not None:
        return direct
    for asset in assets.values():
        if github_asset_name(asset.name + BUNDLE_SUFFIX) == name:
            return asset
    return None


class _Digests:
    """Asset name -> sha256 of its real bytes, each asset downloaded at most once."""

    def __init__(self, client: GitHubClient, assets: dict[str, Asset]) -> None:
        self._client = client
        self._assets = assets
        self._known: dict[str, str] = {}

    def of(self, asset: Asset) -> str:
        if asset.name not in self._known:
            self._known[asset.name] = sha256_chunks(self._client.stream_asset(asset))
        return self._known[asset.name]

    def get(self, name: str) -> str | None:
        asset = self._assets.get(name)
        return None if asset is None else self.of(asset)


def _selected(name: str, globs: Sequence[str]) -> bool:
    return not globs or any(fnmatch.fnmatchcase(name, g) for g in globs)


def _verify_release(
    release: Release,
    *,
    client: GitHubClient,
    verifier: BundleVerifier,
    policy: IdentityPolicy,
    assets: Sequence[str],
    require_bundles: bool,
    home: Release | None = None,
) -> Iterator[BundleResult | AttestationResult]:
    by_name = {a.name: a for a in release.assets}
    digests = _Digests(client, by_name)
    bundles = [a for a in release.assets if a.name.endswith(BUNDLE_SUFFIX)]
    subjects: dict[int, Asset] = {}  # bundle id -> its asset, for bundles kept elsewhere
    if home is not None:
        # Bundles of an immutable release live in the bundle release, prefixed with its tag.
        home_by_name = {a.name: a for a in home.assets}
        prefix = bundle_release_prefix(release.tag)
        for asset in release.assets:
            for name in (
                bundle_name(asset.name, tag=release.tag),
                bundle_name(asset.name, tag=release.tag, release_id=release.id),
            ):
                if name in home_by_name:
                    bundles.append(home_by_name[name])
                    subjects[home_by_name[name].id] = asset
        bundles += [
            a for a in home.assets if a.name.startswith(prefix) and is_attestation_name(a.name)
        ]
    signed: set[int] = set()
    for bundle in bundles:
        if is_attestation_name(bundle.name):
            continue
        subject = subjects.get(bundle.id) or _subject_for_bundle(bundle.name, by_name)
        if subject is None or subject.name.endswith(BUNDLE_SUFFIX):
            yield BundleResult(
                subject=bundle.name[: -len(BUNDLE_SUFFIX)],
                bundle=bundle.name,
                release=release.tag,
                sha256=None,
                ok=False,
                status="failed",
                reason="the bundle's asset is missing from the release",
            )
            continue
        if not _selected(subject.name, assets):
            continue
        signed.add(subject.id)
        yield check_bundle(
            verifier,
            policy,
            subject=subject.name,
            bundle_name=bundle.name,
            release=release.tag,
            sha256=digests.of(subject),
            bundle_json=client.fetch_small(bundle, max_bytes=MAX_BUNDLE_BYTES),
        )
    for asset in release.assets:
        if asset.id in signed or asset.name.endswith(BUNDLE_SUFFIX):
            continue
        if not (assets or require_bundles) or not _selected(asset.name, assets):
            continue
        strict = require_bundles or bool(assets)
        yield BundleResult(
            subject=asset.name,
            bundle=None,
            release=release.tag,
            sha256=asset.sha256,
            ok=not strict,
            status="unsigned",
            reason="no bundle on the release",
        )
    for bundle in bundles:
        if is_attestation_name(bundle.name):
            yield check_attestation(
                verifier,
                policy,
                tag=release.tag,
                name=bundle.name,
                bundle_json=client.fetch_small(bundle, max_bytes=MAX_BUNDLE_BYTES),
                digest_of=digests.get,
            )


def verify_releases(
    releases: Iterable[Release],
    *,
    client: GitHubClient,
    verifier: BundleVerifier,
    policy: IdentityPolicy,
    assets: Sequence[str] = (),
    require_bundles: bool = False,
    bundle_release: Release | None = None,
) -> Iterator[BundleResult | AttestationResult]:
    """Verify every bundle (and attestation) on ``releases``; results stream out.

    ``bundle_release``: the release that holds the bundles of immutable releases
    (``backfill plan --bundle-release``); it is searched too, and not verified itself.

    Assets selected by ``assets`` globs must carry a bundle; without globs, assets
    without a bundle are reported as ``unsigned`` and fail only with ``require_bundles``.
    Attestation subjects are compared with the sha256 of the assets' real bytes.
    """
    for release in releases:
        if bundle_release is not None and release.id == bundle_release.id:
            continue
        yield from _verify_release(
            release,
            client=client,
            verifier=verifier,
            policy=policy,
            assets=assets,
            require_bundles=require_bundles,
            home=bundle_release,
        )
