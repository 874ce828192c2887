"""The public entry points: plan_backfill with injected clients, write_plan."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from _plugins.pypi import PyPIStandIn
from chainkit.backfill import (
    Filters,
    PlanError,
    PlanRequest,
    load_plan,
    plan_backfill,
    pypi_fetcher,
    write_plan,
)
from chainkit.backfill._pypi import PyPIDigests, PyPIFile
from chainkit.github import Asset, NotFoundError, Release
from unit.backfill._factories import (
    NOW,
    SAMPLE_FILES,
    asset,
    release,
    sample_plan,
    sample_releases,
    sha,
)


class FakeGitHub:
    """A ReleaseSource over fixed releases that records what planning asked for."""

    def __init__(self, releases: list[Release], files: dict[str, bytes]) -> None:
        self.releases = releases
        self.files = files
        self.fetched: list[tuple[str, int]] = []
        self.tags_asked: list[str] = []

    def iter_releases(self, repository: str) -> Iterator[Release]:
        assert repository == "acme/widgets"
        yield from self.releases

    def get_release_by_tag(self, repository: str, tag: str) -> Release:
        self.tags_asked.append(tag)
        for r in self.releases:
            if r.tag == tag:
                return r
        raise NotFoundError(f"no release {tag}")

    def tag_commits(self, repository: str) -> dict[str, str]:
        assert repository == "acme/widgets"
        return {r.tag: "0" * 40 for r in self.releases}

    def fetch_small(self, asset: Asset, *, max_bytes: int) -> bytes:
        self.fetched.append((asset.name, max_bytes))
        return self.files[asset.name]


def request(**kw: object) -> PlanRequest:
    args: dict[str, object] = {"repository": "acme/widgets", "api_url": "http://127.0.0.1:1/api/v3"}
    args.update(kw)
    return PlanRequest(**args)  # type: ignore[arg-type]


def test_plan_reads_only_checksum_files_capped_at_one_mebibyte() -> None:
    tar = asset("w-1.0.tar.gz", data=b"tar", digest=None)
    sums = f"{sha(b'tar')}  w-1.0.tar.gz\n".encode()
    github = FakeGitHub(
        [release("v1.0", (tar, asset("SHA256SUMS", data=sums)))], {"SHA256SUMS": sums}
    )
    plan = plan_backfill(request(), client=github, now=NOW)
    assert github.fetched == [("SHA256SUMS", 1024 * 1024)]
    assert github.tags_asked == []
    assert plan.plan_digest
    assert plan.releases[0].tag_commit == "0" * 40  # recorded, for apply's drift check
    assert {a.name: a.status for a in plan.releases[0].assets}["w-1.0.tar.gz"] == "sign"


def test_pypi_evidence_comes_from_the_injected_fetcher_and_credentials_are_not_recorded() -> None:
    wheel = asset("w-1.0-py3-none-any.whl", data=b"whl", digest=None)
    asked: list[tuple[str, str | None]] = []

    def pypi(project: str, index_url: str | None) -> PyPIDigests:
        asked.append((project, index_url))
        entry = PyPIFile(wheel.name, sha(b"whl"), "https://files.example/w.whl")
        return PyPIDigests(
            project, "https://user:secret@pypi.example/simple/", {wheel.name: (entry,)}
        )

    plan = plan_backfill(
        request(pypi_project="w", pypi_index_url="https://user:secret@pypi.example/simple/"),
        client=FakeGitHub([release("v1.0", (wheel,))], {}),
        pypi=pypi,
        now=NOW,
    )
    assert asked == [("w", "https://user:secret@pypi.example/simple/")]
    assert plan.options.pypi_project == "w"
    assert "secret" not in plan.to_json()
    assert [e.source for e in plan.releases[0].assets[0].evidence] == ["pypi"]


def test_pypi_project_without_a_fetcher_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="pypi fetcher"):
        plan_backfill(request(pypi_project="w"), client=FakeGitHub([], {}), now=NOW)


def test_a_missing_bundle_release_is_planned_for_creation() -> None:
    immutable = release("v0.8", (asset("w-0.8.tar.gz", data=b"08"),), immutable=True)
    github = FakeGitHub([immutable], {})
    plan = plan_backfill(request(bundle_release="bundles"), client=github, now=NOW)
    assert github.tags_asked == ["bundles"]
    assert plan.bundle_release is not None and plan.bundle_release.create
    assert plan.releases[0].destination.kind == "bundle-release"


def test_filters_reach_the_planner() -> None:
    releases = [release("v2.0", (asset("a.tar.gz"),)), release("v1.0", (asset("b.tar.gz"),))]
    plan = plan_backfill(
        request(filters=Filters(tags=("v1.*",))), client=FakeGitHub(releases, {}), now=NOW
    )
    assert [r.tag for r in plan.releases] == ["v1.0"]


def test_write_plan_round_trips_and_creates_the_directory(tmp_path: Path) -> None:
    plan = sample_plan()
    target = tmp_path / "out" / "plan.json"
    write_plan(target, plan)
    assert load_plan(target) == plan
    assert json.loads(target.read_text())["plan_digest"] == plan.plan_digest
    assert [p.name for p in target.parent.iterdir()] == ["plan.json"]  # no temporary left


def test_write_plan_replaces_a_symlink_instead_of_writing_through_it(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    link = tmp_path / "plan.json"
    link.symlink_to(victim)
    write_plan(link, sample_plan())
    assert victim.read_text() == "keep me"
    assert not link.is_symlink()


def test_write_plan_failure_is_a_plan_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(PlanError, match="cannot write the plan"):
        write_plan(blocker / "plan.json", sample_plan())


def test_write_plan_refuses_an_unsealed_plan(tmp_path: Path) -> None:
    from dataclasses import replace

    with pytest.raises(ValueError, match="sealed"):
        write_plan(tmp_path / "plan.json", replace(sample_plan(), plan_digest=""))
    assert not os.listdir(tmp_path)


def test_same_decisions_as_the_pure_planner() -> None:
    github = FakeGitHub(sample_releases(), SAMPLE_FILES)
    made = plan_backfill(request(), client=github, now=NOW)
    assert made.summary == sample_plan().summary


def test_the_real_pypi_fetcher_makes_one_index_request(pypi_index: PyPIStandIn) -> None:
    pypi_index.add_file("widgets", "widgets-1.0.tar.gz", b"tar")
    digests = pypi_fetcher()("widgets", pypi_index.url)
    assert [f.sha256 for f in digests.lookup("widgets-1.0.tar.gz")] == [sha(b"tar")]
    assert len(pypi_index.requests) == 1
