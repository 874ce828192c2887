"""The release walk: one result per asset (verified, failed or unsigned), per orphan
bundle, and per attestation."""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Literal

from chainkit._internal.hashing import sha256_chunks
from chainkit.attestation import (
    BUNDLE_SUFFIX,
    PREDICATE_TYPE,
    bundle_name,
    bundle_release_prefix,
    github_asset_name,
    is_attestation_name,
)
from chainkit.github import Asset, ForbiddenError, GitHubClient, Release
from chainkit.signing import MAX_BUNDLE_BYTES, BundleVerifier, IdentityPolicy
from chainkit.verify._checks import (
    API_BUNDLE,
    check_api_attestations,
    check_attestation,
    check_bundle,
)
from chainkit.verify._errors import NothingToVerifyError
from chainkit.verify._report import AttestationResult, BundleResult, VerifyReport

__all__ = ["HOMES", "Home", "verify_releases", "verify_repository"]

_log = logging.getLogger("chainkit.verify")

Result = BundleResult | AttestationResult
Home = Literal["release-assets", "attestations", "any"]
HOMES: tuple[Home, ...] = ("release-assets", "attestations", "any")
"""Where a signature may be: a bundle on the release, an attestation in GitHub's artifact
attestations API (found by the asset's sha256), or either."""


class _Api:
    """The attestations API lookup of one repository (``None`` home: no lookup)."""

    def __init__(
        self,
        client: GitHubClient,
        repository: str,
        predicate_types: Sequence[str],
        *,
        required: bool,
    ) -> None:
        self.client = client
        self.repository = repository
        self.types = frozenset({PREDICATE_TYPE, *predicate_types})
        self.required = required
        self.forbidden: str | None = None
        self.truncated: dict[str, int] = {}
        """sha256 -> how many attestations were read of a list GitHub had more of."""
        self.unreadable: dict[str, int] = {}
        """sha256 -> how many listed attestations had no inline bundle (not checked)."""

    def bundles(self, sha256: str) -> list[bytes]:
        """The bundles listed for ``sha256`` (of the accepted predicate types).

        With ``home`` ``any`` a token that may not list attestations (403) means "none"
        (warned once): bundles on releases still count. With ``attestations`` it is an
        error. A list GitHub had more of than chainkit reads (``MAX_ATTESTATIONS``) is
        warned about and remembered in :attr:`truncated`; attestations listed without an
        inline bundle are counted in :attr:`unreadable`."""
        if self.forbidden is not None:
            return []
        found: list[bytes] = []
        for predicate_type in sorted(self.types):
            try:
                listed = self.client.list_attestations(
                    self.repository, f"sha256:{sha256}", predicate_type=predicate_type
                )
            except ForbiddenError as exc:
                if self.required:
                    raise
                self.forbidden = exc.message
                _log.warning(
                    "attestations of %s cannot be listed (%s): only bundles on releases count",
                    self.repository,
                    exc.message,
                )
                return []
            if listed.truncated:
                self.truncated[sha256] = len(listed)
                _log.warning(
                    "GitHub lists more than %d attestations of sha256:%s (%s): only the "
                    "first %d are checked",
                    len(listed),
                    sha256,
                    predicate_type,
                    len(listed),
                )
            if listed.unreadable:
                self.unreadable[sha256] = self.unreadable.get(sha256, 0) + listed.unreadable
            found += [a.bundle for a in listed]
        return found


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


def _is_bundle_file(name: str) -> bool:
    return name.endswith(BUNDLE_SUFFIX)


def _candidates(
    asset: Asset, release: Release, own: dict[str, Asset], home: dict[str, Asset]
) -> list[Asset]:
    """Every bundle that may belong to ``asset``: ``<asset>.sigstore.json`` on its release
    (as uploaded, or as GitHub sanitised the name), and in the bundle release under the
    release's tag (with or without its id)."""
    found: dict[int, Asset] = {}
    for name in (asset.name + BUNDLE_SUFFIX, github_asset_name(asset.name + BUNDLE_SUFFIX)):
        if name in own:
            found.setdefault(own[name].id, own[name])
    for name in (
        bundle_name(asset.name, tag=release.tag),
        bundle_name(asset.name, tag=release.tag, release_id=release.id),
    ):
        if name in home:
            found.setdefault(home[name].id, home[name])
    return list(found.values())


def _verify_asset(
    asset: Asset,
    candidates: Sequence[Asset],
    *,
    release: Release,
    client: GitHubClient,
    verifier: BundleVerifier,
    policy: IdentityPolicy,
    digests: _Digests,
    allow_unsigned: bool,
    api: _Api | None = None,
    bundles: bool = True,
) -> BundleResult:
    """One result for one asset: ``verified`` by the first bundle that verifies over its
    real bytes, else ``failed`` (naming the first bundle's failure), else ``unsigned``.

    ``api``: an attestation the attestations API lists for the sha256 of the asset's
    bytes (downloaded and hashed now) verifies it too; ``bundles`` false: bundles on
    releases are not looked at (``--home attestations``)."""
    candidates = candidates if bundles else []
    found = _bundle_result(
        asset, candidates, release=release, client=client, verifier=verifier, policy=policy,
        digests=digests, allow_unsigned=allow_unsigned,
    )  # fmt: skip
    if found.status == "verified" or api is None:
        return found
    sha256 = digests.of(asset)
    attested = check_api_attestations(
        verifier,
        policy,
        subject=asset.name,
        release=release.tag,
        sha256=sha256,
        bundles=api.bundles(sha256),
        predicate_types=api.types,
    )
    read = api.truncated.get(sha256)
    cut = (
        f" (GitHub lists more than {read} for this digest: only the first {read} were checked)"
        if read is not None
        else ""
    )
    unread = api.unreadable.get(sha256, 0)
    truncated = cut
    if unread:
        cut += (
            f" (could not read {unread} attestation(s) GitHub lists for this digest without "
            "an inline bundle)"
        )
    if attested is not None and (attested.ok or found.status == "unsigned"):
        return attested if attested.ok else replace(attested, reason=f"{attested.reason}{cut}")
    if found.status == "unsigned" and unread:
        # never "unsigned": one of those may be its attestation, unchecked
        return replace(
            found,
            sha256=sha256,
            ok=False,
            status="failed",
            bundle=API_BUNDLE,
            reason=f"could not read {unread} attestation(s) the attestations API lists for "
            "this digest (listed without an inline bundle; chainkit does not read bundle_url)"
            f"{truncated}",
        )
    if found.status == "unsigned":
        where = "no bundle on the release and no" if bundles else "no"
        return replace(
            found, sha256=sha256, reason=f"{where} attestation in the attestations API{cut}"
        )
    return found


def _bundle_result(
    asset: Asset,
    candidates: Sequence[Asset],
    *,
    release: Release,
    client: GitHubClient,
    verifier: BundleVerifier,
    policy: IdentityPolicy,
    digests: _Digests,
    allow_unsigned: bool,
) -> BundleResult:
    if not candidates:
        return BundleResult(
            subject=asset.name,
            bundle=None,
            release=release.tag,
            sha256=asset.sha256,
            ok=allow_unsigned,
            status="unsigned",
            reason="no bundle for this asset",
        )
    first: BundleResult | None = None
    for bundle in candidates:
        result = check_bundle(
            verifier,
            policy,
            subject=asset.name,
            bundle_name=bundle.name,
            release=release.tag,
            sha256=digests.of(asset),
            bundle_json=client.fetch_small(bundle, max_bytes=MAX_BUNDLE_BYTES),
        )
        if result.ok:
            return result
        first = first or result
    assert first is not None
    return first


def _verify_release(
    release: Release,
    *,
    client: GitHubClient,
    verifier: BundleVerifier,
    policy: IdentityPolicy,
    assets: Sequence[str],
    allow_unsigned: bool,
    home: Release | None = None,
    api: _Api | None = None,
    bundles: bool = True,
) -> Iterator[Result]:
    own = {a.name: a for a in release.assets if _is_bundle_file(a.name)}
    home_bundles = {a.name: a for a in home.assets} if home is not None else {}
    subjects = [a for a in release.assets if not _is_bundle_file(a.name)]
    digests = _Digests(client, {a.name: a for a in subjects})
    claimed: set[int] = set()
    for asset in subjects:
        candidates = _candidates(asset, release, own, home_bundles)
        claimed.update(b.id for b in candidates)
        if _selected(asset.name, assets):
            yield _verify_asset(
                asset,
                candidates,
                release=release,
                client=client,
                verifier=verifier,
                policy=policy,
                digests=digests,
                allow_unsigned=allow_unsigned,
                api=api,
                bundles=bundles,
            )
    attestations: list[Asset] = []
    for bundle in own.values():
        if is_attestation_name(bundle.name):
            attestations.append(bundle)
        elif bundle.id not in claimed:
            yield BundleResult(
                subject=bundle.name[: -len(BUNDLE_SUFFIX)],
                bundle=bundle.name,
                release=release.tag,
                sha256=None,
                ok=False,
                status="failed",
                reason="the bundle's asset is missing from the release",
            )
    if home is not None:
        # Bundles of an immutable release live in the bundle release, prefixed with its tag.
        prefix = bundle_release_prefix(release.tag)
        attestations += [
            a for a in home.assets if a.name.startswith(prefix) and is_attestation_name(a.name)
        ]
    for attestation in attestations:
        yield check_attestation(
            verifier,
            policy,
            tag=release.tag,
            name=attestation.name,
            bundle_json=client.fetch_small(attestation, max_bytes=MAX_BUNDLE_BYTES),
            digest_of=digests.get,
        )


def verify_releases(
    releases: Iterable[Release],
    *,
    client: GitHubClient,
    verifier: BundleVerifier,
    policy: IdentityPolicy,
    assets: Sequence[str] = (),
    allow_unsigned: bool = False,
    bundle_release: Release | None = None,
    home: Home = "release-assets",
    repository: str | None = None,
    predicate_types: Sequence[str] = (),
) -> Iterator[Result]:
    """Verify every asset (and attestation) of ``releases``; results stream out.

    Each asset that is not itself a bundle yields exactly one :class:`BundleResult`:
    ``verified`` if a bundle for it verifies over its real bytes against ``policy``,
    ``failed`` if it has bundles and none verifies, ``unsigned`` if it has none - which
    fails unless ``allow_unsigned``. A bundle whose asset is missing fails; each backfill
    attestation yields an :class:`AttestationResult`, its subjects compared with the real
    bytes. ``assets`` globs limit the assets checked.

    ``bundle_release``: the release that holds the bundles of immutable releases
    (``backfill plan --bundle-release``); it is searched too, and not verified itself.

    ``home``: where a signature counts (:data:`HOMES`); ``attestations`` and ``any`` look
    up ``repository``'s artifact attestations by each asset's sha256, keeping chainkit's
    backfill predicate type and ``predicate_types``, held to the same ``policy``.
    """
    if home not in HOMES:
        raise ValueError(f"home must be one of {HOMES}")
    api = None
    if home != "release-assets":
        if repository is None:
            raise ValueError("looking up attestations needs the repository")
        api = _Api(client, repository, predicate_types, required=home == "attestations")
    for release in releases:
        if bundle_release is not None and release.id == bundle_release.id:
            continue
        yield from _verify_release(
            release,
            client=client,
            verifier=verifier,
            policy=policy,
            assets=assets,
            allow_unsigned=allow_unsigned,
            home=bundle_release,
            api=api,
            bundles=home != "attestations",
        )


def verify_repository(
    repository: str,
    *,
    client: GitHubClient,
    verifier: BundleVerifier,
    policy: IdentityPolicy,
    tags: Sequence[str] = (),
    assets: Sequence[str] = (),
    allow_unsigned: bool = False,
    bundle_release: str | None = None,
    include_drafts: bool = False,
    on_result: Callable[[Result], None] | None = None,
    home: Home = "any",
    predicate_types: Sequence[str] = (),
) -> VerifyReport:
    """Verify the releases of ``repository`` (those whose tag matches a ``tags`` glob, or
    all) as :func:`verify_releases` does, and collect the report. Drafts are not
    published (nobody outside the repository can download them): they are checked only
    with ``include_drafts``. ``home`` (default ``any``): a bundle on the release or an
    attestation in the attestations API verifies an asset (see :func:`verify_releases`).

    ``on_result`` sees each result as it is made (progress). Raises
    :class:`NothingToVerifyError` (exit 2) when no release matches ``tags``, or the
    selected releases have no asset matching ``assets``.
    """
    signatures = home
    home_release = client.get_release_by_tag(repository, bundle_release) if bundle_release else None
    matched = 0

    def selected() -> Iterator[Release]:
        nonlocal matched
        for release in client.iter_releases(repository):
            if home_release is not None and release.id == home_release.id:
                continue
            if release.draft and not include_drafts:
                continue
            if tags and not any(fnmatch.fnmatchcase(release.tag, t) for t in tags):
                continue
            matched += 1
            yield release

    report = VerifyReport()
    for item in verify_releases(
        selected(),
        client=client,
        verifier=verifier,
        policy=policy,
        assets=assets,
        allow_unsigned=allow_unsigned,
        bundle_release=home_release,
        home=signatures,
        repository=repository,
        predicate_types=predicate_types,
    ):
        if on_result is not None:
            on_result(item)
        report.add(item)
    if not matched:
        what = f"matches --tag {' '.join(tags)}" if tags else "exists"
        raise NothingToVerifyError(
            f"no release of {repository} {what}",
            remediation="check --repo and --tag (glob patterns match whole tags)",
        )
    if report.empty:
        what = f" matching --assets {' '.join(assets)}" if assets else ""
        raise NothingToVerifyError(
            f"nothing to verify: the selected releases of {repository} have no assets{what}",
            remediation="check --tag and --assets",
        )
    return report
