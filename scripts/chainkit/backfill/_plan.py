"""The plan model: exactly what ``backfill apply`` will do, approved by digest.

Frozen dataclasses and their JSON form; reading and writing plan files (strictly)
is :mod:`chainkit.backfill._planfile`. A plan is versioned JSON (``"schema":
"chainkit.dev/backfill-plan/v1"``, described by ``docs/schemas/backfill-plan-v1.schema.json``).
Its ``plan_digest`` is the sha256 (hex) of the RFC 8785 canonical JSON of the plan
without ``plan_digest`` (:func:`compute_digest`): the approver sees the digest,
``apply --expect-digest`` refuses any other plan, and the loader refuses a plan whose
content no longer matches its digest (a hand-edited plan).

Every write apply makes is derivable from the plan (plus the signing identity):

- per release: its ``updated_at`` and ``tag_commit`` catch an edited release and a
  moved tag (checked before apply's first write to it);
- per asset with action ``sign``: download asset ``id`` (its ``size``/``updated_at``
  and ``expected_sha256`` catch drift), sign, upload ``bundle_name`` to the release's
  ``upload_url`` (``destination.kind == "release"``) or to the bundle release;
- action ``replace``: the same, after deleting asset ``existing_bundle_id``;
- per release with ``attestation.action == "sign"``: one DSSE attestation named
  ``attestation.name`` over the signed assets, uploaded next to the bundles;
- ``options.home`` ``attestations``: instead of bundles, one attestation per release (per
  1024 assets) over the assets to sign, created with the artifact attestations API;
  ``both``: the bundles and attestation on the release, and that API too;
- per release with ``notes.action == "update"``: one edit of the body, refused if
  the text outside the marked section no longer hashes to ``body_outside_sha256``;
- ``bundle_release.create``: create that release first (once).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Literal

import rfc8785

from chainkit._internal.hashing import sha256_chunks
from chainkit.backfill._errors import PlanError
from chainkit.backfill._evidence import ACTIONS, STATUSES, Action, Evidence, Status
from chainkit.backfill._filters import Filters

__all__ = [
    "ATTESTATION_ACTIONS",
    "DESTINATION_KINDS",
    "HOMES",
    "NOTES_ACTIONS",
    "PLAN_SCHEMA",
    "AttestationPlan",
    "BundleRelease",
    "ChecksumFileRecord",
    "Destination",
    "Home",
    "NotesPlan",
    "Plan",
    "PlanOptions",
    "PlannedAsset",
    "PlannedRelease",
    "Summary",
    "compute_digest",
    "format_time",
]

PLAN_SCHEMA = "chainkit.dev/backfill-plan/v1"

NotesAction = Literal["update", "skip"]
AttestationAction = Literal["sign", "skip"]
DestinationKind = Literal["release", "bundle-release"]
NOTES_ACTIONS: tuple[NotesAction, ...] = ("update", "skip")
ATTESTATION_ACTIONS: tuple[AttestationAction, ...] = ("sign", "skip")
DESTINATION_KINDS: tuple[DestinationKind, ...] = ("release", "bundle-release")
Home = Literal["release-assets", "attestations", "both"]
HOMES: tuple[Home, ...] = ("release-assets", "attestations", "both")
"""Where apply publishes signatures: ``<asset>.sigstore.json`` bundles (and the backfill
attestation) on the release, one attestation per release through GitHub's artifact
attestations API, or both."""


def format_time(value: datetime | None) -> str | None:
    """UTC, second precision, ``Z`` suffix (naive values are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the model ----------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedAsset:
    id: int
    name: str
    size: int
    content_type: str
    updated_at: datetime | None
    digest: str | None
    """GitHub's ``digest`` field as listed (``sha256:<hex>`` or ``None``)."""
    status: Status
    action: Action
    expected_sha256: str | None
    evidence: tuple[Evidence, ...]
    bundle_name: str
    """The bundle's asset name at the destination, as GitHub stores it."""
    existing_bundle_id: int | None
    """The bundle asset already at the destination (deleted first on ``replace``)."""
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "size": self.size,
            "content_type": self.content_type,
            "updated_at": format_time(self.updated_at),
            "digest": self.digest,
            "status": self.status,
            "action": self.action,
            "expected_sha256": self.expected_sha256,
            "evidence": [
                {"source": e.source, "sha256": e.sha256, "detail": e.detail} for e in self.evidence
            ],
            "bundle_name": self.bundle_name,
            "existing_bundle_id": self.existing_bundle_id,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ChecksumFileRecord:
    """A checksum file seen on the release (used as evidence or not)."""

    asset_id: int
    name: str
    algorithm: str
    entries: int
    used: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "asset_id": self.asset_id,
            "name": self.name,
            "algorithm": self.algorithm,
            "entries": self.entries,
            "used": self.used,
        }


@dataclass(frozen=True)
class Destination:
    """Where a release's bundles and attestation go."""

    kind: DestinationKind
    tag: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "tag": self.tag}


@dataclass(frozen=True)
class NotesPlan:
    action: NotesAction
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "reason": self.reason}


@dataclass(frozen=True)
class AttestationPlan:
    action: AttestationAction
    name: str

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "name": self.name}


@dataclass(frozen=True)
class PlannedRelease:
    id: int
    tag: str
    name: str | None
    draft: bool
    prerelease: bool
    immutable: bool
    created_at: datetime | None
    published_at: datetime | None
    html_url: str
    upload_url: str
    body_sha256: str
    """sha256 of the body (UTF-8) as fetched."""
    body_outside_sha256: str | None
    """sha256 of the text outside the backfill section (``None``: markers unusable)."""
    destination: Destination
    attestation: AttestationPlan
    notes: NotesPlan
    checksum_files: tuple[ChecksumFileRecord, ...]
    assets: tuple[PlannedAsset, ...]
    updated_at: datetime | None = None
    """The release's ``updated_at`` at plan time: any later edit (name, notes, flags,
    assets) is drift until this apply's own first write to the release."""
    tag_commit: str | None = None
    """The commit the tag pointed to at plan time (``None``: no such tag listed)."""

    @property
    def is_idle(self) -> bool:
        """Nothing to write for this release: no asset to sign, no attestation, no notes."""
        return (
            not self.to_sign and self.notes.action == "skip" and self.attestation.action == "skip"
        )

    @property
    def to_sign(self) -> tuple[PlannedAsset, ...]:
        """Assets apply signs (actions ``sign`` and ``replace``)."""
        return tuple(a for a in self.assets if a.action != "skip")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tag": self.tag,
            "name": self.name,
            "draft": self.draft,
            "prerelease": self.prerelease,
            "immutable": self.immutable,
            "created_at": format_time(self.created_at),
            "published_at": format_time(self.published_at),
            "updated_at": format_time(self.updated_at),
            "tag_commit": self.tag_commit,
            "html_url": self.html_url,
            "upload_url": self.upload_url,
            "body_sha256": self.body_sha256,
            "body_outside_sha256": self.body_outside_sha256,
            "destination": self.destination.to_json(),
            "attestation": self.attestation.to_json(),
            "notes": self.notes.to_json(),
            "checksum_files": [c.to_json() for c in self.checksum_files],
            "assets": [a.to_json() for a in self.assets],
        }


@dataclass(frozen=True)
class PlanOptions:
    """Options that change decisions (recorded in the plan)."""

    allow_unverified: bool = False
    verify_existing: bool = False
    bundle_release: str | None = None
    """Tag of the release that takes the bundles of immutable releases."""
    pypi_project: str | None = None
    pypi_index_url: str | None = None
    """Without user information."""
    home: Home = "release-assets"
    """Where the signatures go (:data:`HOMES`)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "home": self.home,
            "allow_unverified": self.allow_unverified,
            "verify_existing": self.verify_existing,
            "bundle_release": self.bundle_release,
            "pypi_project": self.pypi_project,
            "pypi_index_url": self.pypi_index_url,
        }


@dataclass(frozen=True)
class BundleRelease:
    """The release that takes bundles of immutable releases."""

    tag: str
    id: int | None
    """``None`` when it does not exist yet (then ``create`` is true)."""
    upload_url: str | None
    create: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "id": self.id,
            "upload_url": self.upload_url,
            "create": self.create,
        }


@dataclass(frozen=True)
class Summary:
    releases: int
    assets: int
    statuses: Mapping[str, int]
    actions: Mapping[str, int]
    releases_without_assets: int
    """Selected releases left out because none of their assets is selected."""

    @classmethod
    def of(cls, releases: Sequence[PlannedRelease], *, releases_without_assets: int) -> Summary:
        statuses: dict[str, int] = dict.fromkeys(STATUSES, 0)
        actions: dict[str, int] = dict.fromkeys(ACTIONS, 0)
        count = 0
        for release in releases:
            for asset in release.assets:
                statuses[asset.status] += 1
                actions[asset.action] += 1
                count += 1
        return cls(len(releases), count, statuses, actions, releases_without_assets)

    def to_json(self) -> dict[str, Any]:
        return {
            "releases": self.releases,
            "assets": self.assets,
            "statuses": dict(self.statuses),
            "actions": dict(self.actions),
            "releases_without_assets": self.releases_without_assets,
        }


@dataclass(frozen=True)
class Plan:
    created_at: datetime
    chainkit_version: str
    repository: str
    api_url: str
    filters: Filters
    options: PlanOptions
    bundle_release: BundleRelease | None
    releases: tuple[PlannedRelease, ...]
    summary: Summary
    plan_digest: str = field(default="")
    """Filled by :meth:`sealed`; checked when a plan file is loaded."""

    def unsealed_json(self) -> dict[str, Any]:
        """The plan as JSON data, without ``plan_digest``."""
        return {
            "schema": PLAN_SCHEMA,
            "created_at": format_time(self.created_at),
            "chainkit_version": self.chainkit_version,
            "repository": self.repository,
            "api_url": self.api_url,
            "filters": self.filters.to_json(),
            "options": self.options.to_json(),
            "bundle_release": self.bundle_release.to_json() if self.bundle_release else None,
            "releases": [r.to_json() for r in self.releases],
            "summary": self.summary.to_json(),
        }

    def sealed(self) -> Plan:
        """This plan with its ``plan_digest`` computed."""
        return replace(self, plan_digest=compute_digest(self.unsealed_json()))

    def to_dict(self) -> dict[str, Any]:
        data = self.unsealed_json()
        data["plan_digest"] = self.plan_digest or compute_digest(data)
        return data

    def to_json(self) -> str:
        """The plan file's text (indented, UTF-8, ends with a newline)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @property
    def is_empty(self) -> bool:
        """Nothing to write: no asset to sign and no notes to edit."""
        return all(r.is_idle for r in self.releases)


def compute_digest(data: Mapping[str, Any]) -> str:
    """sha256 hex of the RFC 8785 canonical form of ``data`` without ``plan_digest``."""
    unsealed = {k: v for k, v in data.items() if k != "plan_digest"}
    try:
        canonical = rfc8785.dumps(unsealed)
    except rfc8785.CanonicalizationError as exc:  # pragma: no cover - plans hold no floats
        raise PlanError(f"the plan cannot be canonicalized: {exc}") from None
    return sha256_chunks((canonical,))
