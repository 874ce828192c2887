"""The names backfill gives bundles and attestations are the names verify recognises."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chainkit.attestation import (
    ATTESTATION_MARKER,
    BUNDLE_SUFFIX,
    attestation_name,
    bundle_name,
    bundle_release_prefix,
    is_attestation_name,
)

WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_attestation_name_is_a_sigstore_bundle_never_intoto_jsonl() -> None:
    name = attestation_name(WHEN)
    assert name == f"{ATTESTATION_MARKER}-20260102T030405Z{BUNDLE_SUFFIX}"
    assert not name.endswith(".intoto.jsonl")
    assert is_attestation_name(name)


@given(tag=st.text(min_size=1, max_size=30))
@example(tag="a..b")  # GitHub collapses the dots; the prefix once kept them
def test_attestations_in_a_bundle_release_carry_the_release_prefix(tag: str) -> None:
    name = attestation_name(WHEN, tag=tag)
    assert name.startswith(bundle_release_prefix(tag))
    assert is_attestation_name(name)


@given(asset=st.text(min_size=1, max_size=40), tag=st.none() | st.text(min_size=1, max_size=20))
def test_asset_bundles_are_never_taken_for_attestations(asset: str, tag: str | None) -> None:
    name = bundle_name(asset, tag=tag)
    assert name.endswith(BUNDLE_SUFFIX)
    if ATTESTATION_MARKER not in asset:
        assert not is_attestation_name(name)


@pytest.mark.parametrize(
    "name",
    [ATTESTATION_MARKER, f"{ATTESTATION_MARKER}.intoto.jsonl", "w.whl.sigstore.json", ""],
)
def test_other_names_are_not_attestations(name: str) -> None:
    assert not is_attestation_name(name)
