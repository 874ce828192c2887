"""The attestations home cuts a release's subjects into parts GitHub accepts (≤1024)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from chainkit.backfill._home import MAX_SUBJECTS, parts
from chainkit.backfill._plan import PlannedAsset


def planned_asset(i: int) -> PlannedAsset:
    return PlannedAsset(
        id=i, name=f"f{i}", size=1, content_type="text/plain",
        updated_at=datetime(2025, 1, 1, tzinfo=timezone.utc), digest=None, status="sign",
        action="sign", expected_sha256=f"{i:064x}", evidence=(), bundle_name=f"f{i}.sigstore.json",
        existing_bundle_id=None, reason="",
    )  # fmt: skip


def test_parts_keep_plan_order_and_the_limit() -> None:
    hashed: list[Any] = [(planned_asset(i), f"{i:064x}") for i in range(2 * MAX_SUBJECTS + 1)]
    cut = parts(hashed)
    assert [len(p) for p in cut] == [MAX_SUBJECTS, MAX_SUBJECTS, 1]
    assert [h for p in cut for h in p] == hashed


def test_a_release_within_the_limit_is_one_part() -> None:
    hashed: list[Any] = [(planned_asset(i), f"{i:064x}") for i in range(3)]
    assert parts(hashed) == [tuple(hashed)]
    assert parts([]) == []
