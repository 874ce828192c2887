from __future__ import annotations

import pytest

from chainkit.backfill._evidence import Evidence, classify

A = "a" * 64
B = "b" * 64
GH = Evidence("github-digest", A, "digest field")
SUMS = Evidence("checksum-file", A, "SHA256SUMS line 1")
BAD = Evidence("checksum-file", B, "SHA256SUMS line 2")


def decide(evidence, **kw):
    args = {
        "bundle_exists": False,
        "bundle_valid": None,
        "immutable": False,
        "bundle_release": None,
        "allow_unverified": False,
    }
    args.update(kw)
    return classify(evidence, **args)


def test_agreeing_evidence_signs() -> None:
    d = decide([GH, SUMS])
    assert (d.status, d.action, d.expected_sha256) == ("sign", "sign", A)


def test_disagreement_blocks_and_records_every_value() -> None:
    d = decide([GH, BAD])
    assert (d.status, d.action, d.expected_sha256) == ("blocked", "skip", None)
    assert A in d.reason and B in d.reason


@pytest.mark.parametrize(
    "kw",
    [
        {"allow_unverified": True},
        {"bundle_exists": True, "bundle_valid": False},
        {"immutable": True, "bundle_release": "sigstore-backfill"},
    ],
)
def test_blocked_wins_over_everything(kw: dict[str, object]) -> None:
    assert decide([GH, BAD], **kw).status == "blocked"


def test_no_evidence_is_unverified_and_skipped() -> None:
    d = decide([])
    assert (d.status, d.action) == ("unverified", "skip")
    assert "--allow-unverified" in d.reason


def test_allow_unverified_signs_and_says_so() -> None:
    d = decide([], allow_unverified=True)
    assert (d.status, d.action, d.expected_sha256) == ("unverified", "sign", None)
    assert "NO evidence" in d.reason


def test_existing_bundle_is_already_signed() -> None:
    d = decide([GH], bundle_exists=True)
    assert (d.status, d.action) == ("already-signed", "skip")
    d = decide([GH], bundle_exists=True, bundle_valid=True)
    assert (d.status, d.action) == ("already-signed", "skip")
    assert "verifies" in d.reason


def test_invalid_existing_bundle_is_replaced() -> None:
    d = decide([GH], bundle_exists=True, bundle_valid=False)
    assert (d.status, d.action, d.expected_sha256) == ("replace", "replace", A)


def test_invalid_bundle_without_evidence_needs_allow_unverified() -> None:
    assert decide([], bundle_exists=True, bundle_valid=False).action == "skip"
    assert decide([], bundle_exists=True, bundle_valid=False, allow_unverified=True).action == (
        "replace"
    )


def test_immutable_without_bundle_release_is_skipped_with_remediation() -> None:
    d = decide([GH], immutable=True)
    assert (d.status, d.action) == ("immutable", "skip")
    assert "--bundle-release" in d.reason


def test_immutable_with_bundle_release_signs_there() -> None:
    d = decide([GH], immutable=True, bundle_release="sigstore-backfill")
    assert (d.status, d.action, d.expected_sha256) == ("immutable", "sign", A)
    assert "'sigstore-backfill'" in d.reason


def test_immutable_unverified_stays_unverified_without_permission() -> None:
    d = decide([], immutable=True, bundle_release="home")
    assert (d.status, d.action) == ("unverified", "skip")


def test_immutable_invalid_bundle_cannot_be_replaced_in_place() -> None:
    d = decide([GH], immutable=True, bundle_exists=True, bundle_valid=False)
    assert (d.status, d.action) == ("immutable", "skip")
