"""Plan files: strict reading and atomic writing.

A plan file may have been edited, crafted or truncated by anyone between ``plan`` and
``apply``. :func:`parse_plan` therefore refuses, as :class:`PlanError` (exit 2) naming
the place: duplicate, unknown, missing and mistyped keys (the keys of each object are
the fields of its dataclass in :mod:`chainkit.backfill._plan`), a wrong ``schema``, a
``plan_digest`` the content does not hash to, and decisions the planner never makes.
``docs/schemas/backfill-plan-v1.schema.json`` describes the same format.
"""

from __future__ import annotations

import hmac
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from chainkit._internal.fs import TooLargeError, read_bounded, write_output
from chainkit._internal.strict import DocumentError, Obj, load_json
from chainkit.attestation import BUNDLE_SUFFIX, attestation_name, bundle_name
from chainkit.backfill._errors import BackfillUsageError, PlanError
from chainkit.backfill._evidence import ACTIONS, EVIDENCE_SOURCES, STATUSES, Evidence, classify
from chainkit.backfill._filters import SIGNATURE_SUFFIXES, Filters
from chainkit.backfill._plan import (
    ATTESTATION_ACTIONS,
    DESTINATION_KINDS,
    HOMES,
    NOTES_ACTIONS,
    PLAN_SCHEMA,
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
    compute_digest,
)

__all__ = ["MAX_PLAN_SIZE", "check_plan_for", "load_plan", "parse_plan", "write_plan"]

MAX_PLAN_SIZE = 256 * 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_SHA1 = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")  # a git commit (SHA-1 or SHA-256)
# ASCII digits only (``\d`` would accept other scripts' digits), as in the JSON Schema.
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TIME_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")
_REMEDIATION = "create a new plan with `chainkit backfill plan` and have it approved again"


def _plan_error(exc: DocumentError) -> PlanError:
    return PlanError(str(exc), remediation=_REMEDIATION)


def _obj(data: Any, where: str, schema: type[Any], **kw: Any) -> Obj:
    return Obj.of(data, where, schema, error=_plan_error, **kw)


def _time(r: Obj, key: str, *, optional: bool = False) -> datetime | None:
    if r.text(key, optional=optional, pattern=_TIME_RE) is None:
        return None
    return r.time(key)


def _evidence(data: Any, where: str) -> Evidence:
    r = _obj(data, where, Evidence)
    return Evidence(
        r.choice("source", EVIDENCE_SOURCES), r.text("sha256", pattern=_HEX64), r.text("detail")
    )


def _asset(data: Any, where: str) -> PlannedAsset:
    r = _obj(data, where, PlannedAsset)
    asset = PlannedAsset(
        id=r.integer("id"),
        name=r.text("name"),
        size=r.integer("size"),
        content_type=r.text("content_type"),
        updated_at=_time(r, "updated_at", optional=True),
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
        raise PlanError(f"{where}: has an empty name", remediation=_REMEDIATION)
    if asset.action == "replace" and asset.existing_bundle_id is None:
        raise PlanError(
            f"{where}: says replace but names no existing bundle", remediation=_REMEDIATION
        )
    return asset


def _checksum_file(data: Any, where: str) -> ChecksumFileRecord:
    r = _obj(data, where, ChecksumFileRecord)
    return ChecksumFileRecord(
        asset_id=r.integer("asset_id"),
        name=r.text("name"),
        algorithm=r.text("algorithm"),
        entries=r.integer("entries"),
        used=r.flag("used"),
    )


def _release(data: Any, where: str) -> PlannedRelease:
    r = _obj(data, where, PlannedRelease)
    d = _obj(r.raw("destination"), f"{where}.destination", Destination)
    a = _obj(r.raw("attestation"), f"{where}.attestation", AttestationPlan)
    n = _obj(r.raw("notes"), f"{where}.notes", NotesPlan)
    return PlannedRelease(
        id=r.integer("id"),
        tag=r.text("tag"),
        name=r.text("name", optional=True),
        draft=r.flag("draft"),
        prerelease=r.flag("prerelease"),
        immutable=r.flag("immutable"),
        created_at=_time(r, "created_at", optional=True),
        published_at=_time(r, "published_at", optional=True),
        html_url=r.text("html_url"),
        upload_url=r.text("upload_url"),
        body_sha256=r.text("body_sha256", pattern=_HEX64),
        body_outside_sha256=r.text("body_outside_sha256", optional=True, pattern=_HEX64),
        destination=Destination(d.choice("kind", DESTINATION_KINDS), d.text("tag")),
        attestation=AttestationPlan(a.choice("action", ATTESTATION_ACTIONS), a.text("name")),
        notes=NotesPlan(n.choice("action", NOTES_ACTIONS), n.text("reason")),
        checksum_files=r.items("checksum_files", _checksum_file),
        assets=r.items("assets", _asset),
        updated_at=_time(r, "updated_at", optional=True),
        tag_commit=r.text("tag_commit", optional=True, pattern=_SHA1),
    )


def _filters(data: Any) -> Filters:
    r = _obj(data, "plan.filters", Filters, extra=("default_excluded_suffixes",))
    if r.texts("default_excluded_suffixes") != SIGNATURE_SUFFIXES:
        raise PlanError(
            "plan.filters.default_excluded_suffixes: differ from this chainkit's",
            remediation=_REMEDIATION,
        )
    since = r.text("since", optional=True, pattern=_DATE_RE)
    try:
        since_date = date.fromisoformat(since) if since is not None else None
    except ValueError:
        raise r.fail("since", "a date (YYYY-MM-DD)") from None
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
        raise PlanError(f"plan.filters: {exc.message}", remediation=_REMEDIATION) from None


def _options(data: Any) -> PlanOptions:
    if isinstance(data, dict) and "home" not in data:
        # plans made before --home existed: their digest never covered a home, so apply
        # cannot know which one the reviewer approved
        raise PlanError(
            "plan.options has no home: the plan was made by a chainkit without --home "
            "(release-assets|attestations|both), so it does not say where apply publishes",
            remediation=_REMEDIATION,
        )
    r = _obj(data, "plan.options", PlanOptions)
    return PlanOptions(
        home=r.choice("home", HOMES),
        allow_unverified=r.flag("allow_unverified"),
        verify_existing=r.flag("verify_existing"),
        bundle_release=r.text("bundle_release", optional=True),
        pypi_project=r.text("pypi_project", optional=True),
        pypi_index_url=r.text("pypi_index_url", optional=True),
    )


def _bundle_release(data: Any) -> BundleRelease | None:
    if data is None:
        return None
    r = _obj(data, "plan.bundle_release", BundleRelease)
    return BundleRelease(
        tag=r.text("tag"),
        id=r.integer("id", optional=True),
        upload_url=r.text("upload_url", optional=True),
        create=r.flag("create"),
    )


def _summary(data: Any) -> Summary:
    r = _obj(data, "plan.summary", Summary)
    s = r.obj("statuses", STATUSES)
    a = r.obj("actions", ACTIONS)
    return Summary(
        releases=r.integer("releases"),
        assets=r.integer("assets"),
        statuses={k: s.integer(k) for k in STATUSES},
        actions={k: a.integer(k) for k in ACTIONS},
        releases_without_assets=r.integer("releases_without_assets"),
    )


def parse_plan(text: str | bytes, *, source: str = "plan") -> Plan:
    """Parse and strictly validate a plan document (see :func:`load_plan`)."""
    try:
        data = load_json(text, source=source, max_bytes=MAX_PLAN_SIZE)
    except DocumentError as exc:
        raise _plan_error(exc) from None
    if not isinstance(data, dict):
        raise PlanError(f"{source} is not a JSON object", remediation=_REMEDIATION)
    if data.get("schema") != PLAN_SCHEMA:
        raise PlanError(
            f"{source} is not a {PLAN_SCHEMA} plan (schema {data.get('schema')!r:.80})",
            remediation="use a plan made by this version of chainkit (`chainkit backfill plan`)",
        )
    r = _obj(data, "plan", Plan, extra=("schema",))
    stated = r.text("plan_digest", pattern=_HEX64)
    actual = compute_digest(data)
    if not hmac.compare_digest(stated, actual):
        raise PlanError(
            f"{source} was changed after it was made: its content hashes to {actual}, "
            f"but it states plan_digest {stated}",
            remediation="never edit a plan by hand; " + _REMEDIATION,
        )
    created_at = _time(r, "created_at")
    assert created_at is not None
    plan = Plan(
        created_at=created_at,
        chainkit_version=r.text("chainkit_version"),
        repository=r.text("repository"),
        api_url=r.text("api_url"),
        filters=_filters(r.raw("filters")),
        options=_options(r.raw("options")),
        bundle_release=_bundle_release(r.raw("bundle_release")),
        releases=r.items("releases", _release),
        summary=_summary(r.raw("summary")),
        plan_digest=stated,
    )
    if plan.unsealed_json() != {k: v for k, v in data.items() if k != "plan_digest"}:
        raise PlanError(  # pragma: no cover - only reachable through a reader bug
            f"{source} does not round-trip through this chainkit's plan model",
            remediation=_REMEDIATION,
        )
    _check_decisions(plan, source)
    return plan


def _refuse(where: str, what: str) -> PlanError:
    return PlanError(f"{where}: {what}", remediation=_REMEDIATION)


def _attestation_name_derived(plan: Plan, release: PlannedRelease) -> bool:
    """``attestation.name`` is the one chainkit derives (possibly numbered), never free text."""
    redirected = release.destination.kind == "bundle-release"
    base = attestation_name(plan.created_at, tag=release.tag if redirected else None)
    stem = base.removesuffix(BUNDLE_SUFFIX)
    name = release.attestation.name
    return name == base or (
        re.fullmatch(re.escape(stem) + r"-[1-9][0-9]{0,5}" + re.escape(BUNDLE_SUFFIX), name)
        is not None
    )


def _bundle_names(release: PlannedRelease, asset: PlannedAsset) -> tuple[str, ...]:
    """The bundle names chainkit derives for ``asset`` at the release's destination."""
    if release.destination.kind == "bundle-release":
        return (
            bundle_name(asset.name, tag=release.tag),
            bundle_name(asset.name, tag=release.tag, release_id=release.id),
        )
    return (bundle_name(asset.name),)


def _check_destination(plan: Plan, release: PlannedRelease, where: str) -> None:
    home = plan.options.bundle_release
    redirected = release.immutable and home is not None
    wanted = ("bundle-release", home) if redirected else ("release", release.tag)
    if (release.destination.kind, release.destination.tag) != wanted:
        raise _refuse(where, f"destination {release.destination.to_json()} is not the planner's")
    if redirected and (plan.bundle_release is None or plan.bundle_release.tag != home):
        raise _refuse(where, "the bundle release does not match --bundle-release")


def _check_asset(plan: Plan, release: PlannedRelease, asset: PlannedAsset, where: str) -> None:
    if asset.bundle_name not in _bundle_names(release, asset):
        raise _refuse(
            where,
            f"bundle name {asset.bundle_name!r} is not the one chainkit derives "
            f"({_bundle_names(release, asset)[0]!r})",
        )
    _check_evidence(plan, release, asset, where)
    if asset.action == "replace" and not (
        asset.status == "replace" and plan.options.verify_existing
    ):
        raise _refuse(where, "replace without --verify-existing")
    # The planner's own decision for this evidence, for EVERY asset (a skipped one too: an
    # ``already-signed`` asset's expected sha256 decides which bytes its bundle is listed
    # for): a crafted status, action or expected sha256 differs from all it could decide.
    api_only = plan.options.home == "attestations"
    if api_only and asset.existing_bundle_id is not None:
        raise _refuse(where, "--home attestations replaces no bundle on the release")
    exists = asset.existing_bundle_id is not None
    # an existing bundle is unverified (None), verified (True) or broken/invalid (False);
    # the planner acts only on an invalid one
    verdicts: tuple[bool | None, ...] = (
        (False,) if asset.action != "skip" else (None, True, False) if exists else (None,)
    )
    decisions = [
        classify(
            asset.evidence,
            bundle_exists=exists,
            bundle_valid=valid if exists else None,
            immutable=release.immutable and not api_only,
            bundle_release=plan.options.bundle_release,
            allow_unverified=plan.options.allow_unverified,
        )
        for valid in verdicts
    ]
    planned = (asset.status, asset.action, asset.expected_sha256)
    derivable = {(d.status, d.action, d.expected_sha256) for d in decisions}
    if asset.action == "skip":
        derivable.add(("blocked", "skip", None))  # two bundle names collide
    if planned not in derivable:
        if asset.expected_sha256 is None and not plan.options.allow_unverified:
            raise _refuse(where, "signing without an expected sha256 needs --allow-unverified")
        decision = decisions[0]
        raise _refuse(
            where,
            f"{asset.action} with status {asset.status} and expected sha256 "
            f"{asset.expected_sha256} is not what its evidence supports "
            f"(the planner decides {decision.status}/{decision.action}: {decision.reason})",
        )


def _check_evidence(plan: Plan, release: PlannedRelease, asset: PlannedAsset, where: str) -> None:
    """Each piece of evidence of an asset to sign could have come from the planner.

    The planner records GitHub's ``digest`` field (so a ``github-digest`` evidence states
    exactly the asset's ``digest``), PyPI only when ``options.pypi_project`` names a
    project, and checksum-file lines only from a checksum file of the same release that
    the plan lists in ``checksum_files``. Anything else is fabricated evidence.
    """
    listed = {c.name for c in release.checksum_files}
    for e in asset.evidence:
        if e.source == "github-digest":
            if asset.digest is None or asset.digest.lower() != f"sha256:{e.sha256}":
                raise _refuse(
                    where,
                    f"github-digest evidence {e.sha256} is not the asset's digest {asset.digest}",
                )
        elif e.source == "pypi":
            if plan.options.pypi_project is None:
                raise _refuse(where, "pypi evidence, but the plan queried no PyPI project")
        elif not any(e.detail.startswith(f"{name} line ") for name in listed):
            raise _refuse(
                where,
                f"checksum-file evidence {e.detail!r} names no sha256 checksum file the "
                "plan lists for this release",
            )


def _check_decisions(plan: Plan, source: str) -> None:
    """Refuse decisions the planner never makes, even in a plan with a valid digest.

    The digest proves a plan was not edited after sealing, not who sealed it. So every
    decision is re-derived here: bundle and attestation names are chainkit's (never free
    text), each signed asset's status, action and expected sha256 are what
    :func:`~chainkit.backfill._evidence.classify` decides from its recorded evidence (no
    signing of blocked assets or of bytes without evidence unless ``allow_unverified``
    marks them unverified), each piece of evidence is one the planner could have recorded
    (:func:`_check_evidence`), a ``replace`` names a bundle that is no asset or checksum
    file of the plan, and the ``summary`` counts the releases' assets. Names are unique
    per destination; a bundle release with an ``id`` is not also to be created.
    """
    planned_ids = {a.id for r in plan.releases for a in r.assets} | {
        c.asset_id for r in plan.releases for c in r.checksum_files
    }
    if plan.options.home == "attestations" and (
        plan.options.bundle_release is not None
        or plan.bundle_release is not None
        or plan.options.verify_existing
    ):
        raise _refuse(source, "--home attestations with a bundle release or --verify-existing")
    home = plan.bundle_release
    if home is not None and home.id is not None and home.create:
        raise _refuse(source, "the bundle release both exists (an id) and is to be created")
    names: dict[tuple[str, str], set[str]] = {}
    for release in plan.releases:
        where = f"{source}: release {release.tag!r}"
        _check_destination(plan, release, where)
        if not _attestation_name_derived(plan, release):
            raise _refuse(where, f"attestation name {release.attestation.name!r} is not chainkit's")
        taken = names.setdefault((release.destination.kind, release.destination.tag), set())
        for name in (release.attestation.name, *(a.bundle_name for a in release.assets)):
            if name in taken:
                raise _refuse(where, f"the name {name!r} is planned twice at one destination")
            taken.add(name)
        for asset in release.assets:
            asset_where = f"{where} asset {asset.name!r}"
            _check_asset(plan, release, asset, asset_where)
            if asset.action == "replace" and asset.existing_bundle_id in planned_ids:
                raise _refuse(
                    asset_where,
                    f"replace would delete asset {asset.existing_bundle_id}, which is not a bundle",
                )
    # the summary a reviewer reads must count what the releases say
    counted = Summary.of(
        plan.releases, releases_without_assets=plan.summary.releases_without_assets
    )
    if counted != plan.summary:
        raise _refuse(source, "its summary does not count its releases and assets")


def load_plan(path: Path) -> Plan:
    """Read a plan file, validating schema, types and ``plan_digest``.

    Raises :class:`PlanError` (exit 2) for anything else than an untouched plan.
    """
    try:
        raw = read_bounded(path, MAX_PLAN_SIZE)
    except TooLargeError:
        raise PlanError(f"the plan {str(path)!r} is larger than {MAX_PLAN_SIZE} bytes") from None
    except OSError as exc:
        raise PlanError(
            f"cannot read the plan {str(path)!r}: {exc.strerror or exc}",
            remediation="pass the file written by `chainkit backfill plan -o FILE`",
        ) from None
    return parse_plan(raw, source=f"the plan {str(path)!r}")


def write_plan(path: Path, plan: Plan) -> None:
    """Write a sealed plan to ``path``, the file the user named (``-o``).

    Through :func:`chainkit._internal.fs.write_output`: atomically, never through a
    symlink at ``path`` to a regular file (it is replaced), but a pipe or terminal
    ``path`` leads to (``-o /dev/stdout``) is written to. Missing parent directories are
    created. Raises :class:`PlanError` when the file cannot be written.
    """
    if not plan.plan_digest:
        raise ValueError("write_plan needs a sealed plan (Plan.sealed())")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_output(path, plan.to_json())
    except OSError as exc:
        raise PlanError(
            f"cannot write the plan to {str(path)!r}: {exc.strerror or exc}",
            remediation="pass a writable path with -o FILE",
        ) from None


def check_plan_for(
    plan: Plan, repository: str, expect_digest: str | None, *, api_url: str | None = None
) -> None:
    """Refuse a plan for another repository (or API), or not the approved one.

    ``expect_digest`` is the digest the approver saw (``None``: not given; the
    caller decides whether that is acceptable). Repository names compare
    case-insensitively, as on GitHub.

    A :class:`Plan` object is no more trusted than a plan file: its digest is recomputed
    from its content (a ``plan_digest`` field a caller kept after editing the plan
    proves nothing) and the same decision checks :func:`load_plan` runs are re-run.
    """
    actual = compute_digest(plan.unsealed_json())
    if not hmac.compare_digest(plan.plan_digest, actual):
        raise PlanError(
            f"the plan was changed after it was sealed: its content hashes to {actual}, "
            f"but it states plan_digest {plan.plan_digest}",
            remediation="never edit a plan; " + _REMEDIATION,
        )
    _check_decisions(plan, "the plan")
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
