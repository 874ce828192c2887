"""A ``starter`` asset is deleted only if it is still ``starter`` under the same name when
read again right before the delete: the listing it was found in may be old (review 9,
first suspicion: another party's upload may have finished since)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chainkit.backfill._debris import without_starter
from chainkit.github import Asset

NAME = "w-1.0.whl.sigstore.json"
LISTED = Asset(
    id=7, name=NAME, size=0, content_type="application/json", state="starter", digest=None,
    url="https://api.example/repos/o/r/releases/assets/7", browser_download_url="",
)  # fmt: skip


class _Client:
    def __init__(self, now: Asset | None) -> None:
        self.now = now
        self.deleted: list[int] = []

    def get_asset(self, asset: Asset) -> Asset | None:
        assert asset.id == LISTED.id
        return self.now

    def delete_asset(self, asset: Asset) -> None:
        self.deleted.append(asset.id)


def test_still_a_starter_is_deleted() -> None:
    client, existing = _Client(LISTED), {NAME: LISTED}
    assert without_starter(client, existing, NAME) is None
    assert client.deleted == [7] and NAME not in existing


@pytest.mark.parametrize(
    ("now", "kept"),
    [
        (replace(LISTED, state="uploaded", size=42), True),  # someone's upload finished
        (replace(LISTED, name="other.json"), False),  # renamed
        (None, False),  # deleted by someone else
    ],
)
def test_a_starter_that_changed_since_listed_is_not_deleted(now: Asset | None, kept: bool) -> None:
    client, existing = _Client(now), {NAME: LISTED}
    found = without_starter(client, existing, NAME)
    assert client.deleted == []
    assert (found == now) if kept else found is None
    assert (existing.get(NAME) == now) if kept else NAME not in existing


def test_an_uploaded_asset_is_not_read_again() -> None:
    uploaded = replace(LISTED, state="uploaded")
    client = _Client(None)
    assert without_starter(client, {NAME: uploaded}, NAME) is uploaded
    assert client.deleted == []
