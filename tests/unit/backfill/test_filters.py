from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from chainkit.backfill import Filters
from chainkit.backfill._errors import BackfillUsageError
from chainkit.backfill._filters import is_signature_file
from unit.backfill._factories import asset, release


@pytest.mark.parametrize(
    "name",
    [
        "x.tar.gz.sigstore.json",
        "x.sigstore",
        "x.sig",
        "x.sign",
        "x.asc",
        "x.minisig",
        "x.intoto.jsonl",
        "cert.pem",
        "ca.crt",
        "KEYS.ASC",
        "App.Sig",
    ],
)
def test_signature_files_are_excluded_by_default_any_case(name: str) -> None:
    assert is_signature_file(name)
    assert not Filters().asset_selected(asset(name))
    assert not Filters(assets=("*",)).asset_selected(asset(name))


@pytest.mark.parametrize("name", ["x.tar.gz", "SHA256SUMS", "x.signature.txt", "design.sigma"])
def test_ordinary_files_are_selected(name: str) -> None:
    assert Filters().asset_selected(asset(name))


def test_incomplete_uploads_are_never_selected() -> None:
    assert not Filters().asset_selected(asset("x.tar.gz", state="starter"))


def test_asset_globs_are_case_sensitive() -> None:
    f = Filters(assets=("*.whl",), exclude_assets=("*-win*",))
    assert f.asset_selected(asset("a-1.0-py3-none-any.whl"))
    assert not f.asset_selected(asset("a-1.0.WHL"))
    assert not f.asset_selected(asset("a-1.0-cp312-win_amd64.whl"))
    assert f.excluded_explicitly(asset("a-1.0-cp312-win_amd64.whl"))


def test_release_filters() -> None:
    f = Filters(tags=("v1.*", "v2.*"), exclude_tags=("v1.0",))
    assert f.release_selected(release("v1.1"))
    assert f.release_selected(release("v2.0"))
    assert not f.release_selected(release("v1.0"))
    assert not f.release_selected(release("V1.1"))
    assert not f.release_selected(release("v3.0"))


def test_drafts_and_prereleases_need_opt_in() -> None:
    draft, pre = release("v1", draft=True), release("v2", prerelease=True)
    assert not Filters().release_selected(draft)
    assert not Filters().release_selected(pre)
    assert Filters(include_drafts=True).release_selected(draft)
    assert Filters(include_prereleases=True).release_selected(pre)


def test_since_uses_publication_date_and_drafts_creation_date() -> None:
    f = Filters(since=date(2024, 1, 2), include_drafts=True)
    assert f.release_selected(
        release("a", published=datetime(2024, 1, 2, 0, 0, tzinfo=timezone.utc))
    )
    assert not f.release_selected(
        release("b", published=datetime(2024, 1, 1, 23, 59, tzinfo=timezone.utc))
    )
    # the factory's drafts were created 2024-01-01
    assert not f.release_selected(release("c", draft=True))
    assert Filters(since=date(2023, 12, 31), include_drafts=True).release_selected(
        release("c", draft=True)
    )


def test_since_accepts_a_datetime_and_keeps_the_utc_day() -> None:
    f = Filters(since=datetime(2024, 1, 2, 23, 0, tzinfo=timezone.utc))
    assert f.since == date(2024, 1, 2)


@pytest.mark.parametrize("last", [0, -1, True])
def test_last_must_be_positive(last: int) -> None:
    with pytest.raises(BackfillUsageError, match="--last"):
        Filters(last=last)


def test_globs_must_be_a_list_not_a_string() -> None:
    with pytest.raises(BackfillUsageError, match="list of globs"):
        Filters(tags="v1.*")  # type: ignore[arg-type]


def test_json_round_trip() -> None:
    f = Filters(
        tags=("v*",),
        exclude_tags=("v0*",),
        since=date(2024, 5, 1),
        last=5,
        include_prereleases=True,
        include_drafts=True,
        assets=("*.whl", "*.tar.gz"),
        exclude_assets=("*win*",),
    )
    assert Filters.from_json(f.to_json()) == f
