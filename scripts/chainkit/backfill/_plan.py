"""The plan file: exactly what ``backfill apply`` will do, approved by digest.

A plan is versioned JSON (``"schema": "chainkit.dev/backfill-plan/v1"``). Its
``plan_digest`` is the sha256 (hex) of the RFC 8785 canonical JSON of the plan
without ``plan_digest``: the approver sees the digest, ``apply --expect-digest``
refuses any other plan, and :func:`load_plan` refuses a plan whose content no
longer matches its digest (a hand-edited plan).

Every write apply makes is derivable from the plan (plus the signing identity):

- per asset with action ``sign``: download asset ``id`` (its ``size``/``updated_at``
  and ``expected_sha256`` catch drift), sign, upload ``bundle_name`` to the release's
  ``upload_url`` (``destination.kind == "release"``) or to the bundle release;
- action ``replace``: the same, after deleting asset ``existing_bundle_id``;
- per release with ``attestation.action == "sign"``: one DSSE attestation named
  ``attestation.name`` over the signed assets, uploaded next to the bundles;
- per release with ``notes.action == "update"``: one edit of the body, refused if
  the text outside the marked section no longer hashes to ``body_outside_sha256``;
- ``bundle_release.create``: create that release first (once).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import rfc8785

from chainkit.backfill._errors import BackfillUsageError, PlanError
from chainkit.backfill._evidence import (
    ACTIONS,
    EVIDENCE_SOURCES,
    STATUSES,
    Action,
    Evidence,
    EvidenceSource,
    Status,
)
from chainkit.backfill._filters import SIGNATURE_SUFFIXES, Filters

__all__ = [
    "MAX_PLAN_SIZE",
    "PLAN_SCHEMA",
    "AttestationPlan",
    "BundleRelease",
    "ChecksumFileRecord",
    "Destination",
    "NotesPlan",
    "Plan",
    "PlanOptions",
    "PlannedAsset",
    "PlannedRelease",
    "Summary",
    "check_plan_for",
    "compute_digest",
    "format_time",
    "load_plan",
    "parse_plan",
]

PLAN_SCHEMA = "chainkit.dev/backfill-plan/v1"
MAX_PLAN_SIZE = 256 * 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

NotesAction = Literal["update", "skip"]
DestinationKind = Literal["release", "bundle-release"]


def format_time(value: datetime | None) -> str | None:
    """UTC, second precision, ``Z`` suffix (naive values are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


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
    action: Literal["sign", "skip"]
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

    def to_json(self) -> dict[str, Any]:
        return {
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
    """Filled by :meth:`sealed`; checked by :func:`load_plan`."""

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
        return all(
            not r.to_sign and r.notes.action == "skip" and r.attestation.action == "skip"
            for r in self.releases
        )


def compute_digest(data: Mapping[str, Any]) -> str:
    """sha256 hex of the RFC 8785 canonical form of ``data`` without ``plan_digest``."""
    unsealed = {k: v for k, v in data.items() if k != "plan_digest"}
    try:
        canonical = rfc8785.dumps(unsealed)
    except rfc8785.CanonicalizationError as exc:  # pragma: no cover - plans hold no floats
        raise PlanError(f"the plan cannot be canonicalized: {exc}") from None
    return hashlib.sha256(canonical).hexdigest()


# -- strict loading -----------------------------------------------------------------

_T = TypeVar("_T")
_REMEDIATION = "create a new plan with `chainkit backfill plan` and have it approved again"


class _Reader:
    """Typed access to one JSON object, refusing missing, unknown and mistyped keys."""

    def __init__(self, data: Any, where: str, keys: Sequence[str]) -> None:
        if not isinstance(data, dict):
            raise PlanError(f"plan: {where} must be an object", remediation=_REMEDIATION)
        unknown = sorted(set(data) - set(keys))
        missing = [k for k in keys if k not in data]
        if unknown or missing:
            detail = "; ".join(
                part
                for part in (
                    f"unknown {', '.join(map(repr, unknown))}" if unknown else "",
                    f"missing {', '.join(map(repr, missing))}" if missing else "",
                )
                if part
            )
            raise PlanError(f"plan: {where} has wrong keys ({detail})", remediation=_REMEDIATION)
        self.data: dict[str, Any] = data
        self.where = where

    def _fail(self, key: str, expected: str) -> PlanError:
        return PlanError(
            f"plan: {self.where}.{key} must be {expected}, not {self.data[key]!r:.80}",
            remediation=_REMEDIATION,
        )

    def text(
        self, key: str, *, optional: bool = False, pattern: re.Pattern[str] | None = None
    ) -> Any:
        value = self.data[key]
        if value is None and optional:
            return None
        if not isinstance(value, str) or (pattern is not None and not pattern.match(value)):
            raise self._fail(key, "a string" + (" of the right form" if pattern else ""))
        return value

    def integer(self, key: str, *, optional: bool = False) -> Any:
        value = self.data[key]
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self._fail(key, "a non-negative integer")
        return value

    def flag(self, key: str) -> bool:
        value = self.data[key]
        if not isinstance(value, bool):
            raise self._fail(key, "true or false")
        return value

    def time(self, key: str, *, optional: bool = False) -> datetime | None:
        value = self.text(key, optional=optional, pattern=_TIME_RE)
        return None if value is None else _parse_time(value)

    def choice(self, key: str, choices: Sequence[_T]) -> _T:
        value = self.data[key]
        if value not in choices:
            raise self._fail(key, "one of " + ", ".join(map(str, choices)))
        return cast(_T, value)

    def items(self, key: str, item: Callable[[Any, str], _T]) -> tuple[_T, ...]:
        value = self.data[key]
        if not isinstance(value, list):
            raise self._fail(key, "a list")
        return tuple(item(v, f"{self.where}.{key}[{i}]") for i, v in enumerate(value))

    def texts(self, key: str) -> tuple[str, ...]:
        def one(v: Any, where: str) -> str:
            if not isinstance(v, str):
                raise PlanError(f"plan: {where} must be a string", remediation=_REMEDIATION)
            return v

        return self.items(key, one)


def _evidence(data: Any, where: str) -> Evidence:
    r = _Reader(data, where, ("source", "sha256", "detail"))
    source: EvidenceSource = r.choice("source", EVIDENCE_SOURCES)
    return Evidence(source, r.text("sha256", pattern=_HEX64), r.text("detail"))


def _asset(data: Any, where: str) -> PlannedAsset:
    r = _Reader(
        data,
        where,
        (
            "id",
            "name",
            "size",
            "content_type",
            "updated_at",
            "digest",
            "status",
            "action",
            "expected_sha256",
            "evidence",
            "bundle_name",
            "existing_bundle_id",
            "reason",
        ),
    )
    asset = PlannedAsset(
        id=r.integer("id"),
        name=r.text("name"),
        size=r.integer("size"),
        content_type=r.text("content_type"),
        updated_at=r.time("updated_at", optional=True),
        digest=r.text("digest", optional=True),
        status=r.choice("status", STATUSES),
        action=r.choice("action", ACTIONS),
        expected_sha256=r.text("expected_sha256", optional=True, pattern=_HEX64),
        evidence=r.items("evidence", _evidence),
        bundle_name=r.text("bundle_name"),
        existing_bundle_id=r.integer("existing_bundle_id", optional=True),
        reason=r.text("reason"),
    )
    if not asset.name or not asset.bundle_name:
        raise PlanError(f"plan: {where} has an empty name", remediation=_REMEDIATION)
    if asset.action == "replace" and asset.existing_bundle_id is None:
        raise PlanError(
            f"plan: {where} says replace but names no existing bundle", remediation=_REMEDIATION
        )
    return asset


def _checksum_file(data: Any, where: str) -> ChecksumFileRecord:
    r = _Reader(data, where, ("asset_id", "name", "algorithm", "entries", "used"))
    return ChecksumFileRecord(
        r.integer("asset_id"),
        r.text("name"),
        r.text("algorithm"),
        r.integer("entries"),
        r.flag("used"),
    )


def _release(data: Any, where: str) -> PlannedRelease:
    r = _Reader(
        data,
        where,
        (
            "id",
            "tag",
            "name",
            "draft",
            "prerelease",
            "immutable",
            "created_at",
            "published_at",
            "html_url",
            "upload_url",
            "body_sha256",
            "body_outside_sha256",
            "destination",
            "attestation",
            "notes",
            "checksum_files",
            "assets",
        ),
    )
    d = _Reader(r.data["destination"], f"{where}.destination", ("kind", "tag"))
    a = _Reader(r.data["attestation"], f"{where}.attestation", ("action", "name"))
    n = _Reader(r.data["notes"], f"{where}.notes", ("action", "reason"))
    return PlannedRelease(
        id=r.integer("id"),
        tag=r.text("tag"),
        name=r.text("name", optional=True),
        draft=r.flag("draft"),
        prerelease=r.flag("prerelease"),
        immutable=r.flag("immutable"),
        created_at=r.time("created_at", optional=True),
        published_at=r.time("published_at", optional=True),
        html_url=r.text("html_url"),
        upload_url=r.text("upload_url"),
        body_sha256=r.text("body_sha256", pattern=_HEX64),
        body_outside_sha256=r.text("body_outside_sha256", optional=True, pattern=_HEX64),
        destination=Destination(d.choice("kind", ("release", "bundle-release")), d.text("tag")),
        attestation=AttestationPlan(a.choice("action", ("sign", "skip")), a.text("name")),
        notes=NotesPlan(n.choice("action", ("update", "skip")), n.text("reason")),
        checksum_files=r.items("checksum_files", _checksum_file),
        assets=r.items("assets", _asset),
    )


def _filters(data: Any) -> Filters:
    r = _Reader(
        data,
        "filters",
        (
            "tags",
            "exclude_tags",
            "since",
            "last",
            "include_prereleases",
            "include_drafts",
            "assets",
            "exclude_assets",
            "default_excluded_suffixes",
        ),
    )
    if r.texts("default_excluded_suffixes") != SIGNATURE_SUFFIXES:
        raise PlanError(
            "plan: filters.default_excluded_suffixes differ from this chainkit's",
            remediation=_REMEDIATION,
        )
    since = r.text("since", optional=True, pattern=_DATE_RE)
    try:
        since_date = date.fromisoformat(since) if since is not None else None
    except ValueError:
        raise r._fail("since", "a date (YYYY-MM-DD)") from None
    try:
        return Filters(
            tags=r.texts("tags"),
            exclude_tags=r.texts("exclude_tags"),
            since=since_date,
            last=r.integer("last", optional=True),
            include_prereleases=r.flag("include_prereleases"),
            include_drafts=r.flag("include_drafts"),
            assets=r.texts("assets"),
            exclude_assets=r.texts("exclude_assets"),
        )
    except BackfillUsageError as exc:
        raise PlanError(f"plan: filters: {exc.message}", remediation=_REMEDIATION) from None


def _options(data: Any) -> PlanOptions:
    r = _Reader(
        data,
        "options",
        ("allow_unverified", "verify_existing", "bundle_release", "pypi_project", "pypi_index_url"),
    )
    return PlanOptions(
        allow_unverified=r.flag("allow_unverified"),
        verify_existing=r.flag("verify_existing"),
        bundle_release=r.text("bundle_release", optional=True),
        pypi_project=r.text("pypi_project", optional=True),
        pypi_index_url=r.text("pypi_index_url", optional=True),
    )


def _summary(data: Any) -> Summary:
    r = _Reader(
        data, "summary", ("releases", "assets", "statuses", "actions", "releases_without_assets")
    )
    s = _Reader(r.data["statuses"], "summary.statuses", STATUSES)
    a = _Reader(r.data["actions"], "summary.actions", ACTIONS)
    return Summary(
        releases=r.integer("releases"),
        assets=r.integer("assets"),
        statuses={k: s.integer(k) for k in STATUSES},
        actions={k: a.integer(k) for k in ACTIONS},
        releases_without_assets=r.integer("releases_without_assets"),
    )


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise PlanError(f"plan: duplicate key {key!r}", remediation=_REMEDIATION)
        out[key] = value
    return out


def parse_plan(text: str | bytes, *, source: str = "plan") -> Plan:
    """Parse and strictly validate a plan document (see :func:`load_plan`)."""
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicates)
    except PlanError:
        raise
    except ValueError as exc:
        raise PlanError(f"{source} is not valid JSON: {exc}", remediation=_REMEDIATION) from None
    if not isinstance(data, dict):
        raise PlanError(f"{source} is not a JSON object", remediation=_REMEDIATION)
    if data.get("schema") != PLAN_SCHEMA:
        raise PlanError(
            f"{source} is not a {PLAN_SCHEMA} plan (schema {data.get('schema')!r:.80})",
            remediation="use a plan made by this version of chainkit (`chainkit backfill plan`)",
        )
    r = _Reader(
        data,
        "plan",
        (
            "schema",
            "created_at",
            "chainkit_version",
            "repository",
            "api_url",
            "filters",
            "options",
            "bundle_release",
            "releases",
            "summary",
            "plan_digest",
        ),
    )
    stated = r.text("plan_digest", pattern=_HEX64)
    actual = compute_digest(data)
    if not hmac.compare_digest(stated, actual):
        raise PlanError(
            f"{source} was changed after it was made: its content hashes to {actual}, "
            f"but it states plan_digest {stated}",
            remediation="never edit a plan by hand; " + _REMEDIATION,
        )
    bundle_release = None
    if r.data["bundle_release"] is not None:
        b = _Reader(
            r.data["bundle_release"], "bundle_release", ("tag", "id", "upload_url", "create")
        )
        bundle_release = BundleRelease(
            b.text("tag"),
            b.integer("id", optional=True),
            b.text("upload_url", optional=True),
            b.flag("create"),
        )
    created_at = r.time("created_at")
    assert created_at is not None
    plan = Plan(
        created_at=created_at,
        chainkit_version=r.text("chainkit_version"),
        repository=r.text("repository"),
        api_url=r.text("api_url"),
        filters=_filters(r.data["filters"]),
        options=_options(r.data["options"]),
        bundle_release=bundle_release,
        releases=r.items("releases", _release),
        summary=_summary(r.data["summary"]),
        plan_digest=stated,
    )
    if plan.unsealed_json() != {k: v for k, v in data.items() if k != "plan_digest"}:
        raise PlanError(  # pragma: no cover - only reachable through a reader bug
            f"{source} does not round-trip through this chainkit's plan model",
            remediation=_REMEDIATION,
        )
    _check_decisions(plan, source)
    return plan


def _check_decisions(plan: Plan, source: str) -> None:
    """Refuse decisions the planner never makes, even in a plan with a valid digest.

    The digest proves a plan was not edited after sealing, not who sealed it: apply must
    not sign bytes without evidence unless the plan says ``allow_unverified``, nor delete
    a bundle unless ``verify_existing`` found it invalid.
    """
    for release in plan.releases:
        for asset in release.assets:
            where = f"{source}: {release.tag} {asset.name!r}"
            if asset.action == "replace" and not (
                asset.status == "replace" and plan.options.verify_existing
            ):
                raise PlanError(
                    f"{where}: replace without --verify-existing", remediation=_REMEDIATION
                )
            if asset.action == "sign" and asset.status not in {"sign", "unverified", "immutable"}:
                raise PlanError(
                    f"{where}: action sign for status {asset.status}", remediation=_REMEDIATION
                )
            if (
                asset.action != "skip"
                and asset.expected_sha256 is None
                and not (asset.status == "unverified" and plan.options.allow_unverified)
            ):
                raise PlanError(
                    f"{where}: signing without an expected sha256 needs --allow-unverified",
                    remediation=_REMEDIATION,
                )


def load_plan(path: Path) -> Plan:
    """Read a plan file, validating schema, types and ``plan_digest``.

    Raises :class:`PlanError` (exit 2) for anything else than an untouched plan.
    """
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_PLAN_SIZE + 1)
    except OSError as exc:
        raise PlanError(
            f"cannot read the plan {str(path)!r}: {exc.strerror or exc}",
            remediation="pass the file written by `chainkit backfill plan -o FILE`",
        ) from None
    if len(raw) > MAX_PLAN_SIZE:
        raise PlanError(f"the plan {str(path)!r} is larger than {MAX_PLAN_SIZE} bytes")
    return parse_plan(raw, source=f"the plan {str(path)!r}")


def check_plan_for(
    plan: Plan, repository: str, expect_digest: str | None, *, api_url: str | None = None
) -> None:
    """Refuse a plan for another repository (or API), or not the approved one.

    ``expect_digest`` is the digest the approver saw (``None``: not given; the
    caller decides whether that is acceptable). Repository names compare
    case-insensitively, as on GitHub.
    """
    if plan.repository.lower() != repository.lower():
        raise PlanError(
            f"the plan is for repository {plan.repository!r}, not {repository!r}",
            remediation=f"apply it with --repo {plan.repository} or make a plan for {repository}",
        )
    if api_url is not None and plan.api_url.rstrip("/") != api_url.rstrip("/"):
        raise PlanError(
            f"the plan was made against {plan.api_url!r}, not {api_url!r}",
            remediation="set GITHUB_API_URL to the plan's API URL, or make a new plan",
        )
    if expect_digest is not None:
        wanted = expect_digest.strip().lower().removeprefix("sha256:")
        if not _HEX64.match(wanted):
            raise PlanError(
                f"--expect-digest must be 64 hex characters, not {expect_digest!r:.80}",
                remediation="copy the plan_digest shown when the plan was made",
            )
        if not hmac.compare_digest(wanted, plan.plan_digest):
            raise PlanError(
                f"the plan's digest is {plan.plan_digest}, not the approved {wanted}",
                remediation="apply exactly the plan that was approved, or approve this one",
            )
