"""Build a plan from a stream of releases: pure, apart from the injected callables.

Only checksum files are downloaded (through ``fetch_small``); everything else comes
from the release list. Releases are consumed one at a time, and with
``filters.last`` the stream is not read past the last release needed, so no
further list page is requested.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Container, Iterable, Mapping
from datetime import datetime, timezone

from chainkit import __version__
from chainkit._internal.hashing import sha256_chunks
from chainkit.attestation import (
    ATTESTATION_MARKER,
    BUNDLE_SUFFIX,
    attestation_name,
    bundle_name,
    bundle_release_prefix,
    github_asset_name,
    is_attestation_name,
)
from chainkit.backfill._checksums import (
    MAX_CHECKSUM_FILE_SIZE,
    checksum_kind,
    parse_checksum_file,
)
from chainkit.backfill._errors import BackfillUsageError, ChecksumFileError, NotesError
from chainkit.backfill._evidence import Classification, Evidence, classify
from chainkit.backfill._filters import Filters
from chainkit.backfill._notes import BEGIN_MARKER, outside_digest
from chainkit.backfill._plan import (
    AttestationPlan,
    BundleRelease,
    ChecksumFileRecord,
    Destination,
    NotesPlan,
    Plan,
    PlannedAsset,
    PlannedRelease,
    PlanOptions,
    Summary,
)
from chainkit.backfill._pypi import PyPIDigests
from chainkit.github import Asset, Release

__all__ = ["ExistingBundleVerifier", "SmallFetcher", "build_plan"]

SmallFetcher = Callable[[Asset], bytes]
"""Downloads a small asset (a checksum file); the caller caps the size it reads."""
ExistingBundleVerifier = Callable[[Release, Asset, Asset], bool]
"""``(release, asset, bundle_asset) -> valid``: downloads and verifies an existing bundle."""


def _entry_key(name: str) -> str:
    """Checksum-file names may carry a directory (``dist/x.whl``, ``./x.whl``)."""
    return posixpath.basename(name.replace("\\", "/"))


class _ChecksumIndex:
    def __init__(self) -> None:
        self.exact: dict[str, list[Evidence]] = {}
        self.renamed: dict[str, list[Evidence]] = {}

    def add(self, entry_name: str, sha256: str, detail: str) -> None:
        key = _entry_key(entry_name)
        self.exact.setdefault(key, []).append(Evidence("checksum-file", sha256, detail))
        stored = github_asset_name(key)
        if stored != key:
            self.renamed.setdefault(stored, []).append(
                Evidence("checksum-file", sha256, f"{detail} (for {key!r}, renamed by GitHub)")
            )

    def lookup(self, asset_name: str) -> list[Evidence]:
        return self.exact.get(asset_name) or self.renamed.get(asset_name) or []


def _checksums(
    release: Release, filters: Filters, fetch_small: SmallFetcher
) -> tuple[_ChecksumIndex, tuple[ChecksumFileRecord, ...]]:
    index = _ChecksumIndex()
    records: list[ChecksumFileRecord] = []
    for asset in release.assets:
        if asset.state != "uploaded" or filters.excluded_explicitly(asset):
            continue
        kind = checksum_kind(asset.name)
        if kind is None:
            continue
        if not kind.usable:
            records.append(ChecksumFileRecord(asset.id, asset.name, kind.algorithm, 0, False))
            continue
        if asset.size > MAX_CHECKSUM_FILE_SIZE:
            raise ChecksumFileError(
                f"release {release.tag!r}: checksum file {asset.name!r} is {asset.size} bytes, "
                f"more than the {MAX_CHECKSUM_FILE_SIZE} read at most",
                remediation=f"leave it out with --exclude-assets {asset.name!r}",
            )
        parsed = parse_checksum_file(
            fetch_small(asset), file_name=asset.name, release_tag=release.tag
        )
        used = parsed.algorithm == "sha256"
        records.append(
            ChecksumFileRecord(asset.id, asset.name, parsed.algorithm, len(parsed.entries), used)
        )
        for entry in parsed.entries:
            index.add(entry.name, entry.sha256, f"{asset.name} line {entry.line}")
    return index, tuple(records)


def _evidence_for(
    asset: Asset, index: _ChecksumIndex, pypi: PyPIDigests | None
) -> tuple[Evidence, ...]:
    found: list[Evidence] = []
    if asset.sha256 is not None:
        found.append(Evidence("github-digest", asset.sha256, f"digest field of asset {asset.id}"))
    found.extend(index.lookup(asset.name))
    if pypi is not None:
        found.extend(Evidence("pypi", f.sha256, f.url) for f in pypi.lookup(asset.name))
    return tuple(found)


def _free_attestation_name(now: datetime, tag: str | None, taken: Container[str]) -> str:
    """The attestation's name, numbered if taken: by an earlier backfill in the same second,
    or (in a shared bundle release) by another release whose tag has the same label."""
    name = attestation_name(now, tag=tag)
    stem = name.removesuffix(BUNDLE_SUFFIX)
    counter = 2
    while name in taken:
        name = f"{stem}-{counter}{BUNDLE_SUFFIX}"
        counter += 1
    return name


def _sha256(text: str) -> str:
    return sha256_chunks((text.encode("utf-8", "surrogatepass"),))


def build_plan(
    releases: Iterable[Release],
    *,
    repository: str,
    api_url: str,
    filters: Filters,
    options: PlanOptions,
    fetch_small: SmallFetcher,
    pypi: PyPIDigests | None,
    verify_existing: ExistingBundleVerifier | None,
    now: datetime,
    bundle_home: Release | None = None,
    tag_commits: Mapping[str, str] | None = None,
    chainkit_version: str = __version__,
) -> Plan:
    """Decide, for every selected asset of every selected release, what apply will do.

    ``releases``: newest first, as GitHub lists them (``filters.last`` counts in this
    order). ``bundle_home``: the release tagged ``options.bundle_release`` as it is
    now (``None`` if it does not exist yet: the plan then says to create it).
    ``verify_existing`` must be given exactly when ``options.verify_existing`` is set.
    ``tag_commits``: each tag's commit sha as listed now (recorded per release, so apply
    sees a tag moved to another commit).
    """
    if options.verify_existing != (verify_existing is not None):
        raise ValueError("options.verify_existing and the verify_existing callable disagree")
    if options.home == "attestations" and (options.bundle_release or options.verify_existing):
        raise BackfillUsageError(
            "--bundle-release and --verify-existing are about bundles on releases; "
            "--home attestations publishes none there",
            remediation="drop them, or plan with --home both",
        )
    if bundle_home is not None:
        if options.bundle_release is None or bundle_home.tag != options.bundle_release:
            raise ValueError("bundle_home is not the release named by options.bundle_release")
        if bundle_home.immutable:
            raise BackfillUsageError(
                f"the bundle release {bundle_home.tag!r} is immutable and cannot take bundles",
                remediation="name a mutable release (or a new tag) with --bundle-release",
            )
    now = now.astimezone(timezone.utc).replace(microsecond=0)
    home_assets = {a.name: a for a in bundle_home.assets} if bundle_home else {}
    home_names: set[str] = set()
    planned: list[PlannedRelease] = []
    without_assets = 0
    taken = 0

    for release in releases:
        if options.bundle_release is not None and release.tag == options.bundle_release:
            continue
        if not filters.release_selected(release):
            continue
        selected = [a for a in release.assets if filters.asset_selected(a)]
        if not selected:
            without_assets += 1
            continue
        planned.append(
            _plan_release(
                release,
                selected,
                tag_commit=(tag_commits or {}).get(release.tag),
                filters=filters,
                options=options,
                fetch_small=fetch_small,
                pypi=pypi,
                verify_existing=verify_existing,
                now=now,
                home_assets=home_assets,
                home_names=home_names,
            )
        )
        taken += 1
        if filters.last is not None and taken >= filters.last:
            break

    bundle_release = None
    if options.bundle_release is not None:
        needed = any(r.destination.kind == "bundle-release" and r.to_sign for r in planned)
        bundle_release = BundleRelease(
            tag=options.bundle_release,
            id=bundle_home.id if bundle_home else None,
            upload_url=bundle_home.upload_url if bundle_home else None,
            create=bundle_home is None and needed,
        )
    releases_out = tuple(planned)
    return Plan(
        created_at=now,
        chainkit_version=chainkit_version,
        repository=repository,
        api_url=api_url.rstrip("/"),
        filters=filters,
        options=options,
        bundle_release=bundle_release,
        releases=releases_out,
        summary=Summary.of(releases_out, releases_without_assets=without_assets),
    ).sealed()


def _plan_release(
    release: Release,
    selected: list[Asset],
    *,
    tag_commit: str | None,
    filters: Filters,
    options: PlanOptions,
    fetch_small: SmallFetcher,
    pypi: PyPIDigests | None,
    verify_existing: ExistingBundleVerifier | None,
    now: datetime,
    home_assets: dict[str, Asset],
    home_names: set[str],
) -> PlannedRelease:
    index, records = _checksums(release, filters, fetch_small)
    redirected = release.immutable and options.bundle_release is not None
    # --home attestations writes nothing to the release: bundles there, or its being
    # immutable, decide nothing (the attestations API takes every verified asset)
    api_only = options.home == "attestations"
    if redirected:
        assert options.bundle_release is not None
        destination = Destination("bundle-release", options.bundle_release)
        dest_assets = home_assets
    else:
        destination = Destination("release", release.tag)
        dest_assets = {a.name: a for a in release.assets}

    assets: list[PlannedAsset] = []
    release_names: set[str] = set()
    for asset in selected:
        evidence = _evidence_for(asset, index, pypi)
        if redirected:
            name = bundle_name(asset.name, tag=release.tag)
            if name in home_names:
                name = bundle_name(asset.name, tag=release.tag, release_id=release.id)
            home_names.add(name)
        else:
            name = bundle_name(asset.name)
        existing = dest_assets.get(name) or dest_assets.get(asset.name + BUNDLE_SUFFIX)
        if api_only:
            existing = None
        valid: bool | None = None
        if existing is not None:
            if existing.state != "uploaded":
                valid = False  # a broken upload: replace it
            elif verify_existing is not None:
                valid = verify_existing(release, asset, existing)
        if name in release_names:
            decision = Classification(
                "blocked",
                "skip",
                None,
                f"its bundle name {name!r} is the same as another asset's after GitHub's renaming",
            )
        else:
            decision = classify(
                evidence,
                bundle_exists=existing is not None,
                bundle_valid=valid,
                immutable=release.immutable and not api_only,
                bundle_release=options.bundle_release,
                allow_unverified=options.allow_unverified,
            )
        release_names.add(name)
        assets.append(
            PlannedAsset(
                id=asset.id,
                name=asset.name,
                size=asset.size,
                content_type=asset.content_type,
                updated_at=asset.updated_at,
                digest=asset.digest,
                status=decision.status,
                action=decision.action,
                expected_sha256=decision.expected_sha256,
                evidence=evidence,
                bundle_name=name,
                existing_bundle_id=existing.id if existing is not None else None,
                reason=decision.reason,
            )
        )

    to_sign = sum(1 for a in assets if a.action != "skip")
    # Assets signed earlier (e.g. by a run whose notes edit was refused: "plan again") still
    # get the section and an attestation if theirs are missing; apply lists and attests
    # only those whose bundles verify against its own identity.
    signed_before = sum(1 for a in assets if a.status == "already-signed")
    prefix = bundle_release_prefix(release.tag) if redirected else ATTESTATION_MARKER
    attested_before = any(is_attestation_name(n) and n.startswith(prefix) for n in dest_assets)
    taken = {*dest_assets, *home_names} if redirected else dest_assets.keys()
    attestation = _free_attestation_name(now, release.tag if redirected else None, taken)
    if redirected:
        home_names.add(attestation)  # unique in the shared bundle release, whatever the tags
    try:
        outside: str | None = outside_digest(release.body)
    except NotesError as exc:
        outside = None
        notes = NotesPlan("skip", f"the release notes cannot take the section: {exc.message}")
    else:
        if to_sign and api_only:
            notes = NotesPlan(
                "update", f"say where the attestation of {to_sign} asset(s) is and how to verify"
            )
        elif to_sign:
            notes = NotesPlan("update", f"list {to_sign} new bundle(s) in the marked section")
        elif signed_before and not attested_before:
            notes = NotesPlan("update", "link the attestation of the existing bundle(s)")
        elif signed_before and BEGIN_MARKER not in (release.body or ""):
            notes = NotesPlan(
                "update", f"the section is missing: list the {signed_before} existing bundle(s)"
            )
        else:
            notes = NotesPlan("skip", "nothing to sign")
    return PlannedRelease(
        id=release.id,
        tag=release.tag,
        name=release.name,
        draft=release.draft,
        prerelease=release.prerelease,
        immutable=release.immutable,
        created_at=release.created_at,
        published_at=release.published_at,
        html_url=release.html_url,
        upload_url=release.upload_url,
        body_sha256=_sha256(release.body or ""),
        body_outside_sha256=outside,
        destination=destination,
        attestation=AttestationPlan(
            "sign" if to_sign or (signed_before and not attested_before) else "skip", attestation
        ),
        notes=notes,
        checksum_files=records,
        assets=tuple(assets),
        updated_at=release.updated_at,
        tag_commit=tag_commit,
    )
