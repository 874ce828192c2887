"""The backfill attestation: an in-toto Statement v1 saying what was checked, and when.

``predicateType`` is :data:`PREDICATE_TYPE`
(``https://chainkit.dev/attestations/backfill/v1``); the predicate's JSON schema is
``docs/schemas/backfill-predicate-v1.schema.json``. It states plainly that it is a
**backfill**: a signature made later over bytes that were already published. It is
not build provenance and says nothing about how the bytes were made.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chainkit import __version__
from chainkit.backfill._plan import PlannedAsset, PlannedRelease, format_time

__all__ = [
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "WorkflowRun",
    "build_statement",
    "statement_bytes",
]

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://chainkit.dev/attestations/backfill/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
"""The DSSE payload type of an in-toto statement."""

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_NOTICE = (
    "Backfill: a signature made after publication over bytes that were already "
    "published. Not build provenance: it says nothing about how, where or from "
    "which sources the artifacts were built."
)


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


def _subject_record(asset: PlannedAsset, sha256: str) -> dict[str, Any]:
    return {
        "name": asset.name,
        "asset_id": asset.id,
        "sha256": sha256,
        "verified": asset.expected_sha256 is not None,
        "evidence": [
            {
                "source": e.source,
                "sha256": e.sha256,
                "detail": e.detail,
                "matches": e.sha256 == sha256,
            }
            for e in asset.evidence
        ],
    }


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
    """The in-toto Statement for one release.

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
    subjects: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
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
        subjects.append({"name": asset.name, "digest": {"sha256": sha256}})
        records.append(_subject_record(asset, sha256))
    predicate: dict[str, Any] = {
        "kind": "backfill",
        "notice": _NOTICE,
        "repository": repository,
        "release": {
            "id": release.id,
            "tag": release.tag,
            "name": release.name,
            "draft": release.draft,
            "prerelease": release.prerelease,
            "immutable": release.immutable,
            "published_at": format_time(release.published_at),
            "created_at": format_time(release.created_at),
            "html_url": release.html_url,
        },
        "backfilled_at": format_time(backfilled_at),
        "backfiller": {"name": "chainkit", "version": chainkit_version},
        "plan_digest": plan_digest,
        "workflow_run": workflow_run.to_json() if workflow_run else None,
        "subjects": records,
        "unverified_subjects": [r["name"] for r in records if not r["verified"]],
    }
    return {
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    }


def statement_bytes(statement: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON of the statement: the DSSE payload to sign."""
    return json.dumps(statement, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode(
        "utf-8"
    )


def subjects_of(statements: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Name -> sha256 over several statements (for verifiers)."""
    out: dict[str, str] = {}
    for statement in statements:
        for subject in statement.get("subject", ()):
            out[subject["name"]] = subject["digest"]["sha256"]
    return out
