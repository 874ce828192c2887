"""check_attestation: a verified DSSE payload is still hostile. Malformed statements,
foreign predicates, another release's attestation and subjects that are not the
release's assets (or not their bytes) all fail the attestation; none raises."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from chainkit.attestation import (
    BackfillPredicate,
    ReleaseInfo,
    SubjectRecord,
    backfill_statement,
    statement_bytes,
)
from chainkit.signing import BundleVerificationError, IdentityPolicy
from chainkit.verify._checks import check_attestation

A = "a" * 64
B = "b" * 64
POLICY = IdentityPolicy(issuer="https://issuer", identity="me")


class FakeVerifier:
    """Stands in for BundleVerifier: 'verifies' by returning a fixed payload."""

    def __init__(self, payload: bytes | None) -> None:
        self.payload = payload

    def verify_statement(self, data: bytes, policy: Any, *, source: str) -> tuple[bytes, None]:
        if self.payload is None:
            raise BundleVerificationError("attestation does not verify: bad signature")
        return self.payload, None


def statement(tag: str = "v1", subjects: tuple[tuple[str, str], ...] = (("w.whl", A),)) -> Any:
    predicate = BackfillPredicate(
        repository="acme/widgets",
        release=ReleaseInfo(7, tag, None, False, False, False, None, None, "https://h/r"),
        backfilled_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        backfiller_version="1",
        plan_digest="c" * 64,
        workflow_run=None,
        subjects=tuple(SubjectRecord(n, i, d, True) for i, (n, d) in enumerate(subjects)),
    )
    return backfill_statement(predicate)


def check(payload: bytes | None, assets: dict[str, str] | None = None) -> Any:
    known = {"w.whl": A} if assets is None else assets
    return check_attestation(
        FakeVerifier(payload),  # type: ignore[arg-type]
        POLICY,
        tag="v1",
        name="chainkit-backfill-attestation-x.sigstore.json",
        bundle_json=b"{}",
        digest_of=known.get,
    )


def test_a_matching_attestation_passes() -> None:
    result = check(statement_bytes(statement()))
    assert result.ok and result.subjects == ("w.whl",)


def _with(**changes: Any) -> bytes:
    data = statement()
    data.update(changes)
    return json.dumps(data).encode()


def _predicate_subjects_differ() -> bytes:
    data = statement()
    data["subject"][0]["digest"]["sha256"] = B  # statement and predicate disagree
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("payload", "assets", "reason"),
    [
        (None, None, "does not verify"),
        (b"{not json", None, "malformed in-toto statement"),
        (_with(subject=[]), None, "malformed in-toto statement"),
        (_with(predicateType="https://slsa.dev/provenance/v1"), None, "unexpected predicateType"),
        (_with(predicate={"kind": "backfill"}), None, "malformed backfill predicate"),
        (statement_bytes(statement(tag="v2")), None, "attests release 'v2'"),
        (_predicate_subjects_differ(), None, "not the statement's"),
        (statement_bytes(statement()), {}, "is not an asset of the release"),
        (statement_bytes(statement()), {"w.whl": B}, "attested sha256"),
    ],
)
def test_hostile_or_wrong_attestations_fail(
    payload: bytes | None, assets: dict[str, str] | None, reason: str
) -> None:
    result = check(payload, assets)
    assert result.ok is False
    assert reason in (result.reason or "")
