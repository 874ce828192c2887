"""Verification of release assets and local files against their Sigstore bundles."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainkit._internal.hashing import sha256_file
from chainkit.backfill._names import (
    ATTESTATION_MARKER,
    BUNDLE_SUFFIX,
    bundle_name,
    bundle_release_prefix,
    github_asset_name,
)
from chainkit.errors import Error
from chainkit.github import Asset, GitHubClient, Release
from chainkit.signing import BundleVerifier, IdentityPolicy

__all__ = [
    "AttestationResult",
    "BundleResult",
    "VerifyReport",
    "verify_files",
    "verify_releases",
]

_log = logging.getLogger("chainkit.verify")

_MAX_BUNDLE = 1 << 20  # a bundle is a few KiB; refuse anything absurd


@dataclass(frozen=True)
class BundleResult:
    """One artifact and its bundle."""

    subject: str
    bundle: str | None
    release: str | None
    sha256: str | None
    ok: bool
    status: str
    """``verified``, ``failed``, ``unsigned`` (no bundle; fails only with --require-bundles)."""
    reason: str | None = None
    identity: str | None = None
    source_repository_uri: str | None = None
    log_index: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "subject": self.subject,
            "bundle": self.bundle,
            "sha256": self.sha256,
            "ok": self.ok,
            "status": self.status,
            "reason": self.reason,
            "identity": self.identity,
            "source_repository_uri": self.source_repository_uri,
            "log_index": self.log_index,
        }


@dataclass(frozen=True)
class AttestationResult:
    """A backfill attestation and the subjects it vouches for."""

    release: str
    name: str
    ok: bool
    reason: str | None = None
    subjects: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "attestation": self.name,
            "ok": self.ok,
            "reason": self.reason,
            "subjects": list(self.subjects),
        }


@dataclass
class VerifyReport:
    """Everything checked; ``ok`` only if nothing failed."""

    bundles: list[BundleResult] = field(default_factory=list)
    attestations: list[AttestationResult] = field(default_factory=list)

    def add(self, item: BundleResult | AttestationResult) -> None:
        if isinstance(item, BundleResult):
            self.bundles.append(item)
        else:
            self.attestations.append(item)

    @property
    def ok(self) -> bool:
        return all(b.ok for b in self.bundles) and all(a.ok for a in self.attestations)

    def counts(self) -> dict[str, int]:
        return {
            "verified": sum(b.status == "verified" for b in self.bundles),
            "failed": sum(not b.ok for b in self.bundles)
            + sum(not a.ok for a in self.attestations),
            "unsigned": sum(b.status == "unsigned" for b in self.bundles),
            "attestations": sum(a.ok for a in self.attestations),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "summary": self.counts(),
            "bundles": [b.to_json() for b in self.bundles],
            "attestations": [a.to_json() for a in self.attestations],
        }

    def to_markdown(self) -> str:
        lines = ["## chainkit verify", ""]
        counts = self.counts()
        lines.append(
            f"**{'passed' if self.ok else 'FAILED'}** - {counts['verified']} verified, "
            f"{counts['failed']} failed, {counts['unsigned']} unsigned, "
            f"{counts['attestations']} attestations"
        )
        lines += ["", "| release | asset | result | detail |", "|---|---|---|---|"]
        for b in self.bundles:
            detail = (b.reason or b.identity or "").replace("|", "\\|")
            lines.append(f"| {b.release or ''} | `{b.subject}` | {b.status} | {detail} |")
        for a in self.attestations:
            lines.append(
                f"| {a.release} | `{a.name}` | {'verified' if a.ok else 'failed'} | "
                f"{(a.reason or f'{len(a.subjects)} subjects').replace('|', chr(92) + '|')} |"
            )
        return "\n".join(lines) + "\n"


def _is_attestation(name: str) -> bool:
    return ATTESTATION_MARKER in name and name.endswith(BUNDLE_SUFFIX)


def _subject_for_bundle(bundle_name: str, assets: dict[str, Asset]) -> Asset | None:
    """The asset a ``<asset>.sigstore.json`` bundle belongs to (names may be sanitised)."""
    direct = assets.get(bundle_name[: -len(BUNDLE_SUFFIX)])
    if direct is not None:
        return direct
    for asset in assets.values():
        if github_asset_name(asset.name + BUNDLE_SUFFIX) == bundle_name:
            return asset
    return None


def _check_bundle(
    verifier: BundleVerifier,
    policy: IdentityPolicy,
    *,
    subject: str,
    bundle_name: str,
    release: str | None,
    sha256: str,
    bundle_json: bytes,
) -> BundleResult:
    try:
        verified = verifier.verify_digest(sha256, bundle_json, policy)
    except Error as exc:
        return BundleResult(
            subject=subject,
            bundle=bundle_name,
            release=release,
            sha256=sha256,
            ok=False,
            status="failed",
            reason=exc.message,
        )
    return BundleResult(
        subject=subject,
        bundle=bundle_name,
        release=release,
        sha256=sha256,
        ok=True,
        status="verified",
        identity=verified.identity,
        source_repository_uri=verified.source_repository_uri,
        log_index=verified.log_index,
    )


def _check_attestation(
    verifier: BundleVerifier,
    policy: IdentityPolicy,
    *,
    release: Release,
    name: str,
    bundle_json: bytes,
    digests: _Digests,
) -> AttestationResult:
    """Verify the DSSE bundle, then each subject against the asset's actual sha256."""
    from chainkit.backfill._predicate import PREDICATE_TYPE

    def fail(reason: str) -> AttestationResult:
        return AttestationResult(release=release.tag, name=name, ok=False, reason=reason)

    try:
        payload, _ = verifier.verify_statement(bundle_json, policy)
        statement = json.loads(payload)
    except Error as exc:
        return fail(exc.message)
    except ValueError as exc:
        return fail(f"statement is not JSON: {exc}")
    if not isinstance(statement, dict):
        return fail("statement is not a JSON object")
    if statement.get("predicateType") != PREDICATE_TYPE:
        return fail(f"unexpected predicateType {statement.get('predicateType')!r}")
    predicate = statement.get("predicate")
    release_info = predicate.get("release") if isinstance(predicate, dict) else None
    tag = release_info.get("tag") if isinstance(release_info, dict) else None
    if tag != release.tag:
        return fail(f"attests release {tag!r}")
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or not subjects:
        return fail("the attestation has no subjects")
    names: list[str] = []
    for subject in subjects:
        if not isinstance(subject, dict) or not isinstance(subject.get("digest"), dict):
            return fail("malformed subject")
        sname = str(subject.get("name"))
        want = subject["digest"].get("sha256")
        have = digests.get(sname)
        if have is None:
            return fail(f"subject {sname!r} is not an asset of the release")
        if have != want:
            return fail(f"subject {sname!r}: attested sha256 {want} but the asset is {have}")
        names.append(sname)
    return AttestationResult(release=release.tag, name=name, ok=True, subjects=tuple(names))


class _Digests:
    """Asset name -> sha256 of its real bytes, each asset downloaded at most once."""

    def __init__(self, client: GitHubClient, assets: dict[str, Asset]) -> None:
        self._client = client
        self._assets = assets
        self._known: dict[str, str] = {}

    def of(self, asset: Asset) -> str:
        if asset.name not in self._known:
            digest = hashlib.sha256()
            for chunk in self._client.stream_asset(asset):
                digest.update(chunk)
            self._known[asset.name] = digest.hexdigest()
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
        bundles += [a for a in home.assets if a.name.startswith(prefix) and _is_attestation(a.name)]
    signed: set[int] = set()
    for bundle in bundles:
        if _is_attestation(bundle.name):
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
        yield _check_bundle(
            verifier,
            policy,
            subject=subject.name,
            bundle_name=bundle.name,
            release=release.tag,
            sha256=digests.of(subject),
            bundle_json=client.fetch_small(bundle, max_bytes=_MAX_BUNDLE),
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
        if _is_attestation(bundle.name):
            yield _check_attestation(
                verifier,
                policy,
                release=release,
                name=bundle.name,
                bundle_json=client.fetch_small(bundle, max_bytes=_MAX_BUNDLE),
                digests=digests,
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


def verify_files(
    files: Sequence[Path],
    *,
    verifier: BundleVerifier,
    policy: IdentityPolicy,
    bundle: Path | None = None,
) -> Iterator[BundleResult]:
    """Verify local files against ``<file>.sigstore.json`` (or one explicit ``bundle``)."""
    for path in files:
        bundle_path = bundle if bundle is not None else path.with_name(path.name + BUNDLE_SUFFIX)
        sha256: str | None = None
        try:
            sha256 = sha256_file(path)
            bundle_json = bundle_path.read_bytes()
        except OSError as exc:
            what = "the file" if sha256 is None else "the bundle"
            yield BundleResult(
                subject=str(path),
                bundle=str(bundle_path),
                release=None,
                sha256=sha256,
                ok=False,
                status="failed",
                reason=f"cannot read {what}: {exc.strerror}",
            )
            continue
        yield _check_bundle(
            verifier,
            policy,
            subject=str(path),
            bundle_name=str(bundle_path),
            release=None,
            sha256=sha256,
            bundle_json=bundle_json,
        )
