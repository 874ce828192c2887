"""The backfill attestation of one planned release.

The contract (statement, predicate, schema) lives in :mod:`chainkit.attestation`; this
module only turns a :class:`~chainkit.backfill._plan.PlannedRelease` and the digests
actually signed into a :class:`~chainkit.attestation.BackfillPredicate`, refusing to
attest bytes that differ from the plan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chainkit import __version__
from chainkit.attestation import (
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    BackfillPredicate,
    EvidenceRecord,
    ReleaseInfo,
    SubjectRecord,
    WorkflowRun,
    backfill_statement,
    statement_bytes,
)
from chainkit.backfill._plan import PlannedAsset, PlannedRelease

__all__ = [
    "PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "WorkflowRun",
    "build_predicate",
    "build_statement",
    "statement_bytes",
]

_HEX64 = re.compile(r"^[0-9a-f]{64}\Z")


def _subject_record(asset: PlannedAsset, sha256: str) -> SubjectRecord:
    return SubjectRecord(
        name=asset.name,
        asset_id=asset.id,
        sha256=sha256,
        verified=asset.expected_sha256 is not None,
        evidence=tuple(
            EvidenceRecord(
                source=e.source, sha256=e.sha256, detail=e.detail, matches=e.sha256 == sha256
            )
            for e in asset.evidence
        ),
    )


def build_predicate(
    *,
    repository: str,
    release: PlannedRelease,
    signed: Mapping[int, str],
    backfilled_at: datetime,
    plan_digest: str,
    workflow_run: WorkflowRun | None,
    chainkit_version: str = __version__,
) -> BackfillPredicate:
    """The predicate for one release.

    ``signed`` maps asset id to the sha256 computed from the bytes actually signed;
    subjects are those assets, in plan order. A sha256 that differs from the plan's
    expected value is a bug in the caller (apply must have refused) -> ``ValueError``.
    """
    by_id: dict[int, PlannedAsset] = {a.id: a for a in release.assets}
    unknown = sorted(set(signed) - set(by_id))
    if unknown:
        raise ValueError(f"assets {unknown} are not in the plan for release {release.tag!r}")
    if not signed:
        raise ValueError("an attestation needs at least one signed asset")
    records: list[SubjectRecord] = []
    for asset in release.assets:
        if asset.id not in signed:
            continue
        sha256 = signed[asset.id].lower()
        if not _HEX64.match(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        if asset.expected_sha256 is not None and asset.expected_sha256 != sha256:
            raise ValueError(
                f"asset {asset.name!r} changed since the plan; it must not be attested"
            )
        records.append(_subject_record(asset, sha256))
    return BackfillPredicate(
        repository=repository,
        release=ReleaseInfo(
            id=release.id,
            tag=release.tag,
            name=release.name,
            draft=release.draft,
            prerelease=release.prerelease,
            immutable=release.immutable,
            published_at=release.published_at,
            created_at=release.created_at,
            html_url=release.html_url,
        ),
        backfilled_at=backfilled_at,
        backfiller_version=chainkit_version,
        plan_digest=plan_digest,
        workflow_run=workflow_run,
        subjects=tuple(records),
    )


def build_statement(
    *,
    repository: str,
    release: PlannedRelease,
    signed: Mapping[int, str],
    backfilled_at: datetime,
    plan_digest: str,
    workflow_run: WorkflowRun | None,
    chainkit_version: str = __version__,
) -> dict[str, Any]:
    """The in-toto Statement for one release (see :func:`build_predicate`)."""
    return backfill_statement(
        build_predicate(
            repository=repository,
            release=release,
            signed=signed,
            backfilled_at=backfilled_at,
            plan_digest=plan_digest,
            workflow_run=workflow_run,
            chainkit_version=chainkit_version,
        )
    )
