"""The backfill predicate (``https://chainkit.dev/attestations/backfill/v1``): build and parse.

The predicate's JSON schema is ``docs/schemas/backfill-predicate-v1.schema.json``. It
states plainly that it is a **backfill**: a signature made later over bytes that were
already published. It is not build provenance and says nothing about how the bytes
were made (ADR 0004).

:func:`backfill_statement` turns a :class:`BackfillPredicate` into the in-toto
statement to sign; :func:`parse_predicate` reads one back strictly (every key of the
schema, nothing else), so ``parse_predicate(p.to_json()) == p``. Times have second
precision, in UTC.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from chainkit._internal.strict import DocumentError, Obj, dataclass_keys
from chainkit.attestation._errors import StatementFormatError
from chainkit.attestation._statement import STATEMENT_TYPE, Subject

__all__ = [
    "NOTICE",
    "PREDICATE_TYPE",
    "BackfillPredicate",
    "EvidenceRecord",
    "EvidenceSource",
    "ReleaseInfo",
    "SubjectRecord",
    "WorkflowRun",
    "backfill_statement",
    "parse_predicate",
]

PREDICATE_TYPE = "https://chainkit.dev/attestations/backfill/v1"
NOTICE = (
    "Backfill: a signature made after publication over bytes that were already "
    "published. Not build provenance: it says nothing about how, where or from "
    "which sources the artifacts were built."
)

EvidenceSource = Literal["github-digest", "checksum-file", "pypi"]
_SOURCES: tuple[EvidenceSource, ...] = ("github-digest", "checksum-file", "pypi")
_HEX64 = re.compile(r"^[0-9a-f]{64}\Z")
_REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+\Z")
_PREDICATE_KEYS = (
    "kind",
    "notice",
    "repository",
    "release",
    "backfilled_at",
    "backfiller",
    "plan_digest",
    "workflow_run",
    "subjects",
    "unverified_subjects",
)


def _utc(value: datetime | None) -> datetime | None:
    """UTC, second precision (naive values are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).replace(microsecond=0)


def _time(value: datetime | None) -> str | None:
    utc = _utc(value)
    return None if utc is None else utc.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class WorkflowRun:
    """The GitHub Actions run that made the backfill."""

    server_url: str
    repository: str
    run_id: str
    run_attempt: str
    workflow_ref: str | None = None

    @property
    def url(self) -> str:
        base = f"{self.server_url.rstrip('/')}/{self.repository}/actions/runs/{self.run_id}"
        return f"{base}/attempts/{self.run_attempt}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WorkflowRun | None:
        """From ``GITHUB_SERVER_URL``/``GITHUB_REPOSITORY``/``GITHUB_RUN_ID``/
        ``GITHUB_RUN_ATTEMPT`` (``None`` outside Actions)."""
        env = os.environ if environ is None else environ
        run_id = env.get("GITHUB_RUN_ID")
        repository = env.get("GITHUB_REPOSITORY")
        if not run_id or not repository:
            return None
        return cls(
            server_url=env.get("GITHUB_SERVER_URL") or "https://github.com",
            repository=repository,
            run_id=run_id,
            run_attempt=env.get("GITHUB_RUN_ATTEMPT") or "1",
            workflow_ref=env.get("GITHUB_WORKFLOW_REF") or None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "server_url": self.server_url,
            "repository": self.repository,
            "run_id": self.run_id,
            "run_attempt": self.run_attempt,
            "workflow_ref": self.workflow_ref,
            "url": self.url,
        }


@dataclass(frozen=True)
class ReleaseInfo:
    """The release as it was when it was backfilled (``published_at`` is the original time)."""

    id: int
    tag: str
    name: str | None
    draft: bool
    prerelease: bool
    immutable: bool
    published_at: datetime | None
    created_at: datetime | None
    html_url: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "published_at", _utc(self.published_at))
        object.__setattr__(self, "created_at", _utc(self.created_at))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tag": self.tag,
            "name": self.name,
            "draft": self.draft,
            "prerelease": self.prerelease,
            "immutable": self.immutable,
            "published_at": _time(self.published_at),
            "created_at": _time(self.created_at),
            "html_url": self.html_url,
        }


@dataclass(frozen=True)
class EvidenceRecord:
    """One piece of independent evidence checked before signing."""

    source: EvidenceSource
    sha256: str
    detail: str
    matches: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "sha256": self.sha256,
            "detail": self.detail,
            "matches": self.matches,
        }


@dataclass(frozen=True)
class SubjectRecord:
    """What was checked about one subject. ``verified``: evidence agreed before signing."""

    name: str
    asset_id: int
    sha256: str
    verified: bool
    evidence: tuple[EvidenceRecord, ...] = ()

    def __post_init__(self) -> None:
        if not _HEX64.match(self.sha256):
            raise ValueError(f"not a sha256 hex digest: {self.sha256!r}")

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "asset_id": self.asset_id,
            "sha256": self.sha256,
            "verified": self.verified,
            "evidence": [e.to_json() for e in self.evidence],
        }


@dataclass(frozen=True)
class BackfillPredicate:
    """The predicate of one release's backfill attestation."""

    repository: str
    release: ReleaseInfo
    backfilled_at: datetime
    backfiller_version: str
    plan_digest: str
    workflow_run: WorkflowRun | None
    subjects: tuple[SubjectRecord, ...]
    notice: str = NOTICE

    def __post_init__(self) -> None:
        if not self.subjects:
            raise ValueError("an attestation needs at least one signed asset")
        names = [s.name for s in self.subjects]
        if len(set(names)) != len(names):
            raise ValueError("subject names must be unique")
        object.__setattr__(self, "backfilled_at", _utc(self.backfilled_at))

    @property
    def unverified_subjects(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.subjects if not s.verified)

    @property
    def statement_subjects(self) -> tuple[Subject, ...]:
        return tuple(Subject(s.name, s.sha256) for s in self.subjects)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "backfill",
            "notice": self.notice,
            "repository": self.repository,
            "release": self.release.to_json(),
            "backfilled_at": _time(self.backfilled_at),
            "backfiller": {"name": "chainkit", "version": self.backfiller_version},
            "plan_digest": self.plan_digest,
            "workflow_run": self.workflow_run.to_json() if self.workflow_run else None,
            "subjects": [s.to_json() for s in self.subjects],
            "unverified_subjects": list(self.unverified_subjects),
        }


def backfill_statement(predicate: BackfillPredicate) -> dict[str, Any]:
    """The in-toto Statement v1 for ``predicate``: its subjects, in the predicate's order."""
    return {
        "_type": STATEMENT_TYPE,
        "subject": [s.to_json() for s in predicate.statement_subjects],
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate.to_json(),
    }


# -- parsing ------------------------------------------------------------------------------
def _fail(exc: DocumentError) -> StatementFormatError:
    return StatementFormatError(f"malformed backfill predicate: {exc}")


def _evidence(data: Any, where: str) -> EvidenceRecord:
    obj = Obj.of(data, where, EvidenceRecord, error=_fail)
    return EvidenceRecord(
        source=obj.choice("source", _SOURCES),
        sha256=obj.text("sha256", pattern=_HEX64),
        detail=obj.text("detail"),
        matches=obj.flag("matches"),
    )


def _subject(data: Any, where: str) -> SubjectRecord:
    obj = Obj.of(data, where, SubjectRecord, error=_fail)
    name = obj.text("name")
    if not name:
        raise obj.fail("name", "a non-empty string")
    return SubjectRecord(
        name=name,
        asset_id=obj.integer("asset_id"),
        sha256=obj.text("sha256", pattern=_HEX64),
        verified=obj.flag("verified"),
        evidence=obj.items("evidence", _evidence),
    )


def _release(obj: Obj) -> ReleaseInfo:
    rel = obj.obj("release", dataclass_keys(ReleaseInfo))
    tag = rel.text("tag")
    if not tag:
        raise rel.fail("tag", "a non-empty string")
    return ReleaseInfo(
        id=rel.integer("id"),
        tag=tag,
        name=rel.text("name", optional=True),
        draft=rel.flag("draft"),
        prerelease=rel.flag("prerelease"),
        immutable=rel.flag("immutable"),
        published_at=rel.time("published_at", optional=True),
        created_at=rel.time("created_at", optional=True),
        html_url=rel.text("html_url"),
    )


def _workflow_run(obj: Obj) -> WorkflowRun | None:
    if obj.raw("workflow_run") is None:
        return None
    keys = (*dataclass_keys(WorkflowRun), "url")
    wr = obj.obj("workflow_run", keys)
    run = WorkflowRun(
        server_url=wr.text("server_url"),
        repository=wr.text("repository"),
        run_id=wr.text("run_id"),
        run_attempt=wr.text("run_attempt"),
        workflow_ref=wr.text("workflow_ref", optional=True),
    )
    if wr.raw("url") != run.url:
        raise wr.fail("url", repr(run.url))
    return run


def parse_predicate(data: Any, *, source: str = "predicate") -> BackfillPredicate:
    """Read a backfill predicate (a parsed JSON object) strictly, as the schema describes it.

    Raises :class:`~chainkit.attestation.StatementFormatError` for unknown or missing
    keys, wrong types, and an ``unverified_subjects`` list that does not match the
    subjects' ``verified`` flags.
    """
    obj = Obj(data, source, _PREDICATE_KEYS, error=_fail)
    if obj.raw("kind") != "backfill":
        raise obj.fail("kind", "'backfill'")
    notice = obj.text("notice")
    if not notice:
        raise obj.fail("notice", "a non-empty string")
    backfiller = obj.obj("backfiller", ("name", "version"))
    if backfiller.raw("name") != "chainkit":
        raise backfiller.fail("name", "'chainkit'")
    version = backfiller.text("version")
    if not version:
        raise backfiller.fail("version", "a non-empty string")
    subjects = obj.items("subjects", _subject)
    if not subjects:
        raise obj.fail("subjects", "a non-empty list")
    try:
        predicate = BackfillPredicate(
            repository=obj.text("repository", pattern=_REPOSITORY),
            release=_release(obj),
            backfilled_at=obj.time("backfilled_at"),  # type: ignore[arg-type]
            backfiller_version=version,
            plan_digest=obj.text("plan_digest", pattern=_HEX64),
            workflow_run=_workflow_run(obj),
            subjects=subjects,
            notice=notice,
        )
    except ValueError as exc:  # duplicate subject names
        raise _fail(DocumentError(f"{source}.subjects", str(exc))) from None
    if obj.texts("unverified_subjects") != predicate.unverified_subjects:
        raise obj.fail("unverified_subjects", "the names of the subjects not verified")
    return predicate
