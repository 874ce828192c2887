from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from _plugins.pypi import PyPIStandIn
from chainkit.backfill import Filters, PlanOptions, build_plan
from chainkit.backfill._errors import ChecksumFileError
from chainkit.backfill._notes import BEGIN_MARKER
from chainkit.backfill._plan import Plan, PlannedAsset
from chainkit.backfill._pypi import fetch_pypi_digests
from chainkit.github import Release
from unit.backfill._factories import (
    NOW,
    SAMPLE_FILES,
    asset,
    fetcher,
    release,
    sample_plan,
    sample_releases,
    sha,
)


def by_name(plan: Plan) -> dict[str, PlannedAsset]:
    return {a.name: a for r in plan.releases for a in r.assets}


def plan_of(releases, files=None, **kw):
    args = {
        "repository": "acme/widgets",
        "api_url": "http://127.0.0.1:1/api/v3",
        "filters": Filters(),
        "options": PlanOptions(),
        "fetch_small": fetcher(files or {}),
        "pypi": None,
        "verify_existing": None,
        "now": NOW,
    }
    args.update(kw)
    return build_plan(releases, **args)


def test_sample_repository_statuses() -> None:
    plan = sample_plan()
    got = {name: (a.status, a.action) for name, a in by_name(plan).items()}
    assert got == {
        "widgets-1.0.tar.gz": ("sign", "sign"),
        "widgets-1.0-py3-none-any.whl": ("sign", "sign"),
        "widgets-1.0.zip": ("blocked", "skip"),
        "SHA256SUMS": ("sign", "sign"),
        "SHA512SUMS": ("sign", "sign"),
        "widgets-0.9.tar.gz": ("unverified", "skip"),
        "widgets-0.9.whl": ("already-signed", "skip"),
        "widgets-0.8.tar.gz": ("immutable", "skip"),
    }
    assert plan.summary.statuses["blocked"] == 1
    assert plan.summary.actions == {"sign": 4, "replace": 0, "skip": 4}
    assert plan.summary.releases == 3


def test_evidence_values_are_recorded() -> None:
    assets = by_name(sample_plan())
    tar = assets["widgets-1.0.tar.gz"]
    assert tar.expected_sha256 == sha(b"tar")
    assert [(e.source, e.detail) for e in tar.evidence] == [
        ("github-digest", f"digest field of asset {tar.id}"),
        ("checksum-file", "SHA256SUMS line 1"),
    ]
    zip_ = assets["widgets-1.0.zip"]
    assert {e.sha256 for e in zip_.evidence} == {sha(b"zip"), sha(b"zip-original")}
    assert zip_.expected_sha256 is None


def test_checksum_files_are_recorded_and_only_they_are_downloaded() -> None:
    fetch = fetcher(
        {
            "SHA256SUMS": (
                f"{sha(b'tar')}  widgets-1.0.tar.gz\n"
                f"{sha(b'whl')}  widgets-1.0-py3-none-any.whl\n"
                f"{sha(b'zip-original')}  widgets-1.0.zip\n"
            ).encode()
        }
    )
    plan = sample_plan(fetch_small=fetch)
    assert fetch.calls == ["SHA256SUMS"]  # type: ignore[attr-defined]
    records = {c.name: (c.algorithm, c.entries, c.used) for c in plan.releases[0].checksum_files}
    assert records == {"SHA256SUMS": ("sha256", 3, True), "SHA512SUMS": ("sha512", 0, False)}


def test_release_level_decisions() -> None:
    r1, r2, r3 = sample_plan().releases
    assert r1.notes.action == "update" and r1.attestation.action == "sign"
    assert r1.attestation.name == "chainkit-backfill-attestation-20260304T050607Z.sigstore.json"
    # r2: nothing to sign, but an earlier bundle without an attestation (a "plan again"
    # after a refused run): apply attests and lists it if it verifies as ours
    assert r2.to_sign == ()
    assert r2.notes.action == "update" and r2.attestation.action == "sign"
    assert r3.destination.kind == "release" and r3.notes.action == "skip"
    assert r2.assets[1].existing_bundle_id is not None
    assert r1.body_outside_sha256 is not None


def test_created_at_has_second_precision() -> None:
    assert sample_plan().created_at.microsecond == 0


def test_last_stops_reading_the_stream() -> None:
    consumed: list[str] = []

    def stream() -> Iterator[Release]:
        for r in [
            release("v3", (asset("sig.asc"),)),  # nothing selectable: does not count
            release("v2", (asset("a.tar.gz"),)),
            release("v1", (asset("b.tar.gz"),)),
        ]:
            consumed.append(r.tag)
            yield r
        raise AssertionError("read past the last release needed")

    plan = plan_of(stream(), filters=Filters(last=1))
    assert [r.tag for r in plan.releases] == ["v2"]
    assert consumed == ["v3", "v2"]
    assert plan.summary.releases_without_assets == 1


def test_release_filters_apply_before_last() -> None:
    releases = [
        release("v3-rc1", (asset("a"),), prerelease=True),
        release("v2", (asset("b"),), draft=True),
        release("v1", (asset("c"),)),
        release("v0", (asset("d"),)),
    ]
    assert [r.tag for r in plan_of(releases, filters=Filters(last=1)).releases] == ["v1"]
    plan = plan_of(releases, filters=Filters(include_drafts=True, include_prereleases=True))
    assert [r.tag for r in plan.releases] == ["v3-rc1", "v2", "v1", "v0"]
    assert plan.releases[1].draft


def test_immutable_release_with_bundle_release_to_create() -> None:
    plan = sample_plan(options=PlanOptions(bundle_release="sigstore-backfill"))
    r3 = plan.releases[2]
    assert r3.destination.kind == "bundle-release"
    assert r3.destination.tag == "sigstore-backfill"
    assert (r3.assets[0].status, r3.assets[0].action) == ("immutable", "sign")
    assert r3.assets[0].bundle_name == "v0.8--widgets-0.8.tar.gz.sigstore.json"
    assert r3.attestation.name.startswith("v0.8--chainkit-backfill-attestation-")
    assert r3.notes.action == "update"  # immutable releases still take note edits
    assert plan.bundle_release is not None
    assert (plan.bundle_release.create, plan.bundle_release.id) == (True, None)


def test_bundle_release_that_already_holds_the_bundle() -> None:
    home = release("sigstore-backfill", (asset("v0.8--widgets-0.8.tar.gz.sigstore.json"),))
    plan = sample_plan(options=PlanOptions(bundle_release="sigstore-backfill"), bundle_home=home)
    r3 = plan.releases[2]
    assert (r3.assets[0].status, r3.assets[0].action) == ("already-signed", "skip")
    assert plan.bundle_release is not None
    assert (plan.bundle_release.create, plan.bundle_release.id) == (False, home.id)


def test_the_bundle_release_itself_is_never_planned() -> None:
    home = release("sigstore-backfill", (asset("notes.txt"),))
    plan = plan_of(
        [home, release("v1", (asset("a.tar.gz"),))],
        options=PlanOptions(bundle_release="sigstore-backfill"),
        bundle_home=home,
    )
    assert [r.tag for r in plan.releases] == ["v1"]


def test_immutable_bundle_release_is_refused() -> None:
    from chainkit.backfill._errors import BackfillUsageError

    home = release("home", immutable=True)
    with pytest.raises(BackfillUsageError, match="immutable"):
        plan_of([], options=PlanOptions(bundle_release="home"), bundle_home=home)


def test_colliding_bundle_names_in_the_bundle_release_get_the_release_id() -> None:
    a = release("v1/0", (asset("x.tar.gz"),), immutable=True)
    b = release("v1_0", (asset("x.tar.gz"),), immutable=True)
    plan = plan_of([a, b], options=PlanOptions(bundle_release="home"))
    names = [r.assets[0].bundle_name for r in plan.releases]
    assert names == ["v1_0--x.tar.gz.sigstore.json", f"v1_0-{b.id}--x.tar.gz.sigstore.json"]


def test_colliding_bundle_names_in_one_release_are_blocked() -> None:
    plan = plan_of([release("v1", (asset("a b.zip"), asset("a.b.zip")))])
    assert [a.status for a in plan.releases[0].assets] == ["sign", "blocked"]


def test_verify_existing_plans_replace_for_an_invalid_bundle() -> None:
    calls = []

    def verify(rel, a, bundle) -> bool:
        calls.append((rel.tag, a.name, bundle.name))
        return False

    plan = sample_plan(options=PlanOptions(verify_existing=True), verify_existing=verify)
    whl = by_name(plan)["widgets-0.9.whl"]
    assert (whl.status, whl.action) == ("replace", "replace")
    assert whl.existing_bundle_id is not None
    assert calls == [("v0.9", "widgets-0.9.whl", "widgets-0.9.whl.sigstore.json")]
    assert plan.releases[1].notes.action == "update"


def test_verify_existing_option_and_callable_must_agree() -> None:
    with pytest.raises(ValueError, match="disagree"):
        sample_plan(options=PlanOptions(verify_existing=True))


def test_broken_bundle_upload_is_replaced() -> None:
    rel = release("v1", (asset("a.tar.gz"), asset("a.tar.gz.sigstore.json", state="starter")))
    a = plan_of([rel]).releases[0].assets[0]
    assert (a.status, a.action) == ("replace", "replace")


def test_allow_unverified_signs_assets_without_evidence() -> None:
    plan = sample_plan(options=PlanOptions(allow_unverified=True))
    old = by_name(plan)["widgets-0.9.tar.gz"]
    assert (old.status, old.action, old.expected_sha256) == ("unverified", "sign", None)


def test_pypi_evidence(pypi_index: PyPIStandIn) -> None:
    pypi_index.add_file("widgets", "widgets-0.9.tar.gz", b"old")
    pypi_index.add_file("widgets", "widgets-1.0-py3-none-any.whl", b"not-the-release-bytes")
    with requests.Session() as session:
        pypi = fetch_pypi_digests("widgets", session=session, index_url=pypi_index.url)
    assets = by_name(sample_plan(pypi=pypi))
    old = assets["widgets-0.9.tar.gz"]
    assert (old.status, old.expected_sha256) == ("sign", sha(b"old"))
    assert old.evidence[0].source == "pypi"
    assert assets["widgets-1.0-py3-none-any.whl"].status == "blocked"


def test_malformed_checksum_file_stops_the_plan_unless_excluded() -> None:
    rel = release("v1", (asset("a.tar.gz"), asset("SHA256SUMS", data=b"garbage\n")))
    with pytest.raises(ChecksumFileError, match=r"'v1'.*'SHA256SUMS' line 1"):
        plan_of([rel], {"SHA256SUMS": b"garbage\n"})
    fetch = fetcher({})
    plan = plan_of([rel], fetch_small=fetch, filters=Filters(exclude_assets=("SHA256SUMS",)))
    assert fetch.calls == []  # type: ignore[attr-defined]
    assert [a.name for a in plan.releases[0].assets] == ["a.tar.gz"]


def test_oversized_checksum_file_is_refused_before_download() -> None:
    rel = release("v1", (asset("SHA256SUMS", size=2 * 1024 * 1024),))
    fetch = fetcher({})
    with pytest.raises(ChecksumFileError, match="more than"):
        plan_of([rel], fetch_small=fetch)
    assert fetch.calls == []  # type: ignore[attr-defined]


def test_checksum_names_match_after_github_renaming() -> None:
    data = b"spaces"
    sums = f"{sha(data)}  dist/my widget 1.0.tar.gz\n".encode()
    rel = release(
        "v1",
        (asset("my.widget.1.0.tar.gz", data=data, digest=None), asset("SHA256SUMS", data=sums)),
    )
    a = plan_of([rel], {"SHA256SUMS": sums}).releases[0].assets[0]
    assert (a.status, a.expected_sha256) == ("sign", sha(data))
    assert "renamed by GitHub" in a.evidence[0].detail


def test_unicode_and_space_names_keep_their_real_name() -> None:
    name = "wïdgets 1.0 ✓.tar.gz"
    a = plan_of([release("v1", (asset(name),))]).releases[0].assets[0]
    assert a.name == name
    assert a.bundle_name == "widgets.1.0.tar.gz.sigstore.json"


def test_unbalanced_markers_skip_the_notes_but_not_the_assets() -> None:
    rel = release("v1", (asset("a.tar.gz"),), body=f"text {BEGIN_MARKER} broken")
    r = plan_of([rel]).releases[0]
    assert r.notes.action == "skip" and "unbalanced" in r.notes.reason
    assert r.body_outside_sha256 is None
    assert r.assets[0].action == "sign"


def test_same_input_same_digest() -> None:
    rels = sample_releases()
    first = plan_of(rels, SAMPLE_FILES)
    assert first.plan_digest == plan_of(rels, SAMPLE_FILES).plan_digest
    assert first.plan_digest != plan_of(rels, SAMPLE_FILES, repository="acme/x").plan_digest


def test_every_release_of_a_long_stream_is_planned() -> None:
    releases = (release(f"v{i}", (asset(f"w-{i}.tar.gz"),)) for i in range(300))
    plan = plan_of(releases)
    assert plan.summary.releases == 300
    assert plan.summary.actions["sign"] == 300


def test_sample_releases_are_fresh() -> None:
    assert [r.tag for r in sample_releases()] == ["v1.0", "v0.9", "v0.8"]
