"""The apply pipeline: the next asset downloads while the main thread writes.

No test asserts a timing: the overlap is shown by the order of recorded events, with an
upload that waits (bounded) for the next asset's download to finish.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from _plugins.sandbox import FullSandbox, asset, release, seed
from chainkit.github import GitHubClient, GitHubServiceError
from integration.backfill._flow import apply, make_plan

MAIN = threading.main_thread()


def three_wheels(releases: int = 1) -> dict[str, Any]:
    return seed(
        releases=[
            release(
                f"v1.{i}.0",
                published_at=f"2025-0{1 + i}-01T00:00:00Z",
                assets=[asset(f"{n}-1.{i}.0.whl", f"{n}{i}", digest="auto") for n in "abc"],
            )
            for i in range(releases)
        ]
    )


class Recorder:
    """Records downloads and uploads (with the thread they ran on) in the order they end."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.events: list[tuple[str, str, bool]] = []
        self.downloaded: dict[str, threading.Event] = {}
        self.hold: dict[str, str] = {}
        """upload name -> asset name: the upload waits until that asset is downloaded."""
        self.fail: dict[str, Exception] = {}
        self._lock = threading.Lock()
        download, upload = GitHubClient.download, GitHubClient.upload_bytes

        def recorded_download(client: GitHubClient, a: Any, dest: Path, **kw: Any) -> str:
            if a.name in self.fail:
                self._add("download failed", a.name)
                raise self.fail[a.name]
            sha256 = download(client, a, dest, **kw)
            self._add("downloaded", a.name)
            self.downloaded.setdefault(a.name, threading.Event()).set()
            return sha256

        def recorded_upload(
            client: GitHubClient, rel: Any, *args: Any, name: str, **kw: Any
        ) -> Any:
            self._add("upload starts", name)
            if name in self.hold:
                done = self.downloaded.setdefault(self.hold[name], threading.Event())
                done.wait(timeout=60)  # a bound, not an assertion: the order is asserted
            self._add("upload ends", name)
            return upload(client, rel, *args, name=name, **kw)

        monkeypatch.setattr(GitHubClient, "download", recorded_download)
        monkeypatch.setattr(GitHubClient, "upload_bytes", recorded_upload)

    def _add(self, what: str, name: str) -> None:
        with self._lock:
            self.events.append((what, name, threading.current_thread() is MAIN))

    def order(self) -> list[tuple[str, str]]:
        return [(what, name) for what, name, _ in self.events]


def _apply(sb: FullSandbox, tmp_path: Path, *extra: str) -> Any:
    plan = tmp_path / "plan.json"
    digest = make_plan(sb, plan)["plan_digest"]
    return apply(sb, plan, digest, tmp_path / "state", *extra)


def test_the_next_asset_downloads_while_a_write_waits(
    sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb: FullSandbox = sandbox_factory(three_wheels())
    rec = Recorder(monkeypatch)
    rec.hold = {
        "a-1.0.0.whl.sigstore.json": "b-1.0.0.whl",
        "b-1.0.0.whl.sigstore.json": "c-1.0.0.whl",
    }
    result = _apply(sb, tmp_path)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["signed"] == 3
    order = rec.order()
    # b is downloaded before the upload of a's bundle ends (its download starts once a's
    # bytes are taken, while a is signed and uploaded); then c before b's bundle's ends
    assert order.index(("downloaded", "b-1.0.0.whl")) < order.index(
        ("upload ends", "a-1.0.0.whl.sigstore.json")
    )
    assert order.index(("downloaded", "c-1.0.0.whl")) < order.index(
        ("upload ends", "b-1.0.0.whl.sigstore.json")
    )
    # downloads on the prefetch thread, every write on the main thread, in plan order
    assert all(not main for what, _, main in rec.events if what == "downloaded")
    assert all(main for what, _, main in rec.events if what.startswith("upload"))
    uploads = [name for what, name in order if what == "upload starts"]
    assert uploads[:3] == [f"{n}-1.0.0.whl.sigstore.json" for n in "abc"]


@pytest.mark.parametrize("how", ["--no-prefetch", "CHAINKIT_PREFETCH=0"])
def test_no_prefetch_is_one_step_after_another(
    how: str, sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb: FullSandbox = sandbox_factory(three_wheels())
    rec = Recorder(monkeypatch)
    plan = tmp_path / "plan.json"
    digest = make_plan(sb, plan)["plan_digest"]
    args = sb.apply_args(plan, digest, tmp_path / "state")
    if how.startswith("--"):
        result = sb.chainkit(*args, how)
    else:
        result = sb.chainkit(*args, env=sb.env(CHAINKIT_PREFETCH="0"))
    assert result.exit_code == 0, result.output
    assert rec.order()[:6] == [
        ("downloaded", "a-1.0.0.whl"),
        ("upload starts", "a-1.0.0.whl.sigstore.json"),
        ("upload ends", "a-1.0.0.whl.sigstore.json"),
        ("downloaded", "b-1.0.0.whl"),
        ("upload starts", "b-1.0.0.whl.sigstore.json"),
        ("upload ends", "b-1.0.0.whl.sigstore.json"),
    ]
    assert all(main for _, _, main in rec.events)


@pytest.mark.parametrize("switch", [(), ("--no-prefetch",)])
def test_a_failed_prefetch_stops_at_its_asset_after_the_write_before_it(
    switch: tuple[str, ...], sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb: FullSandbox = sandbox_factory(three_wheels())
    rec = Recorder(monkeypatch)
    rec.fail = {"b-1.0.0.whl": GitHubServiceError("downloading 'b-1.0.0.whl': GitHub failed (502)")}
    result = _apply(sb, tmp_path, *switch)
    # the same error, exit code and end state with the pipeline on or off: a's bundle is
    # written, nothing after b's failed download is
    assert result.exit_code == 3, result.output
    assert "downloading 'b-1.0.0.whl': GitHub failed (502)" in result.stderr
    assert [name for what, name in rec.order() if what == "upload starts"] == [
        "a-1.0.0.whl.sigstore.json"
    ]
    assert [w["method"] for w in sb.writes()] == ["POST"]
    assert sb.tree_size() == 1  # only a was signed
    # the journal holds a's steps only: b's download was never recorded
    (journal,) = (tmp_path / "state").glob("*/journal.jsonl")
    steps = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    asset_steps = [s["step"] for s in steps if str(s.get("step", "")).startswith("asset.")]
    assert asset_steps == ["asset.downloaded", "asset.signed", "asset.uploaded"]


def test_a_budgeted_stop_leaves_nothing_prefetched_behind(
    sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb: FullSandbox = sandbox_factory(three_wheels(releases=2))
    rec = Recorder(monkeypatch)
    # per release: three bundles, the attestation, the notes; 6 leaves no room for a second
    result = _apply(sb, tmp_path, "--max-writes", "6")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["complete"] is False and report["writes"] == 5
    (left,) = report["remaining"]["tags"]
    # the pipeline never reaches into the release the budget leaves: nothing of it was
    # downloaded, signed or written
    names = [name for _, name in rec.order()]
    assert [what for what, _ in rec.order()].count("downloaded") == 3
    assert not any(left.removeprefix("v") in name for name in names)
    assert sb.tree_size() == 4  # v1.0.0's three bundles and its attestation
    assert len(sb.writes()) == 5


def test_attestations_home_downloads_the_next_release_while_a_write_waits(
    sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--home attestations`` makes one write per release: the pipeline reaches into the
    next release, whose assets download (and are hashed) while this one's write waits."""
    sb: FullSandbox = sandbox_factory(three_wheels(releases=2))
    rec = Recorder(monkeypatch)
    create = GitHubClient.create_attestation

    def recorded_download_count() -> int:
        return [what for what, _ in rec.order()].count("downloaded")

    def recorded_create(client: GitHubClient, repository: str, data: bytes) -> int:
        rec._add("create starts", repository)
        if recorded_download_count() < 6:
            # a bound, not an assertion: the order is asserted below
            for _ in range(600):
                if recorded_download_count() >= 6:
                    break
                threading.Event().wait(0.1)
        rec._add("create ends", repository)
        return create(client, repository, data)

    monkeypatch.setattr(GitHubClient, "create_attestation", recorded_create)
    plan = tmp_path / "plan.json"
    digest = make_plan(sb, plan, "--home", "attestations")["plan_digest"]
    result = apply(sb, plan, digest, tmp_path / "state")
    assert result.exit_code == 0, result.output
    order = rec.order()
    first_create_ends = order.index(("create ends", "acme/widgets"))
    downloads = [i for i, (what, _) in enumerate(order) if what == "downloaded"]
    assert len(downloads) == 6
    # all six assets (the second release's three too) were downloaded before the first
    # release's attestation write ended, on the prefetch thread; writes on the main thread
    assert max(downloads) < first_create_ends
    assert all(not main for what, _, main in rec.events if what == "downloaded")
    assert all(main for what, _, main in rec.events if what.startswith("create"))
    assert [w["method"] for w in sb.writes()].count("POST") == 2
    # nothing downloaded is left in the state directory
    assert not [p for p in (tmp_path / "state").rglob("*") if p.suffix == ".whl"]


def test_attestations_home_without_prefetch_is_one_release_after_another(
    sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb: FullSandbox = sandbox_factory(three_wheels(releases=2))
    rec = Recorder(monkeypatch)
    create = GitHubClient.create_attestation

    def recorded_create(client: GitHubClient, repository: str, data: bytes) -> int:
        rec._add("create", repository)
        return create(client, repository, data)

    monkeypatch.setattr(GitHubClient, "create_attestation", recorded_create)
    plan = tmp_path / "plan.json"
    digest = make_plan(sb, plan, "--home", "attestations")["plan_digest"]
    result = apply(sb, plan, digest, tmp_path / "state", "--no-prefetch")
    assert result.exit_code == 0, result.output
    assert [what for what, _ in rec.order()] == ["downloaded"] * 3 + ["create"] + [
        "downloaded"
    ] * 3 + ["create"]
    assert all(main for _, _, main in rec.events)


def test_attestations_home_reaches_two_releases_ahead_and_writes_in_plan_order(
    sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pipeline reads the next two releases and downloads their assets on several
    threads while this release's attestation is written; the writes are still made, and
    recorded, in plan order, one per release."""
    sb: FullSandbox = sandbox_factory(three_wheels(releases=4))
    rec = Recorder(monkeypatch)
    create = GitHubClient.create_attestation
    made: list[int] = []

    def downloads() -> int:
        return [what for what, _ in rec.order()].count("downloaded")

    def recorded_create(client: GitHubClient, repository: str, data: bytes) -> int:
        rec._add("create starts", repository)
        if not made:
            for _ in range(600):  # a bound, not an assertion: the order is asserted below
                if downloads() >= 9:
                    break
                threading.Event().wait(0.1)
        rec._add("create ends", repository)
        made.append(create(client, repository, data))
        return made[-1]

    monkeypatch.setattr(GitHubClient, "create_attestation", recorded_create)
    plan = tmp_path / "plan.json"
    digest = make_plan(sb, plan, "--home", "attestations")["plan_digest"]
    result = apply(sb, plan, digest, tmp_path / "state")
    assert result.exit_code == 0, result.output
    order = rec.order()
    first_create_ends = order.index(("create ends", "acme/widgets"))
    # releases 1, 2 and 3 (nine assets) downloaded before the first write ended
    assert [what for what, _ in order[:first_create_ends]].count("downloaded") == 9
    assert len({n for what, n in order if what == "downloaded"}) == 12
    # one attestation per release, recorded in plan order
    events = [
        json.loads(x)
        for x in (tmp_path / "state").rglob("journal.jsonl").__next__().read_text().splitlines()
    ]
    created = [e for e in events if e["step"] == "attestation.created"]
    planned = json.loads(plan.read_text())["releases"]
    assert [e["release_id"] for e in created] == [r["id"] for r in planned]
    assert [w["method"] for w in sb.writes()].count("POST") == 4
    assert not [p for p in (tmp_path / "state").rglob("*") if p.suffix in {".whl", ".part"}]


def test_attestations_home_reads_the_releases_beyond_the_lookahead_on_a_reader_thread(
    sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond the two releases whose assets download ahead, the next releases are read
    ahead on a reader thread (the release and the attestations of its first subject
    digest) while this release's attestation is written; each such read replaces the
    main thread's, and the writes are still made in plan order, one per release."""
    sb: FullSandbox = sandbox_factory(three_wheels(releases=5))
    events: list[tuple[str, str, bool]] = []
    lock = threading.Lock()
    reads_ahead_done = threading.Event()
    get_release = GitHubClient.get_release
    list_attestations = GitHubClient.list_attestations
    create = GitHubClient.create_attestation

    def add(what: str, name: str) -> None:
        with lock:
            events.append((what, name, threading.current_thread() is MAIN))
            ahead = {n for w, n, main in events if w == "get-release" and not main}
            if len(ahead) >= 2 and sum(w == "list" and not m for w, _, m in events) >= 2:
                reads_ahead_done.set()

    def recorded_get_release(client: GitHubClient, repository: str, release_id: int) -> Any:
        found = get_release(client, repository, release_id)
        add("get-release", found.tag)
        return found

    def recorded_list(client: GitHubClient, repository: str, digest: str, **kw: Any) -> Any:
        found = list_attestations(client, repository, digest, **kw)
        add("list", digest)
        return found

    def recorded_create(client: GitHubClient, repository: str, data: bytes) -> int:
        if not [w for w, _, _ in events if w == "create"]:
            reads_ahead_done.wait(timeout=60)  # a bound, not an assertion: order asserted
        add("create", repository)
        return create(client, repository, data)

    monkeypatch.setattr(GitHubClient, "get_release", recorded_get_release)
    monkeypatch.setattr(GitHubClient, "list_attestations", recorded_list)
    monkeypatch.setattr(GitHubClient, "create_attestation", recorded_create)
    plan = tmp_path / "plan.json"
    digest = make_plan(sb, plan, "--home", "attestations")["plan_digest"]
    result = apply(sb, plan, digest, tmp_path / "state")
    assert result.exit_code == 0, result.output
    planned = json.loads(plan.read_text())["releases"]
    tags = [r["tag"] for r in planned]
    first_create = next(i for i, (w, _, _) in enumerate(events) if w == "create")
    before = events[:first_create]
    # the 4th and 5th releases in plan order (beyond the lookahead of the first: the 2nd
    # and 3rd) were read, and the attestations of their first digest listed, on the reader
    # thread before the first write
    assert {n for w, n, main in before if w == "get-release" and not main} == set(tags[3:])
    assert sum(w == "list" and not main for w, _, main in before) == 2
    # each list read ahead was used at its release's turn: one list per release in all
    lists = [n for w, n, _ in events if w == "list"]
    assert len(lists) == 5 and len(set(lists)) == 5
    # the main thread read releases 1-3 for their decisions, and every release again right
    # before its notes edit; every write on the main thread, one per release, in plan order
    main_reads = [n for w, n, main in events if w == "get-release" and main]
    assert main_reads[:3] == tags[:3]
    assert sorted(main_reads[3:]) == sorted(tags)
    assert all(main for w, _, main in events if w == "create")
    journal = next((tmp_path / "state").rglob("journal.jsonl")).read_text().splitlines()
    created = [json.loads(x) for x in journal if '"attestation.created"' in x]
    assert [e["release_id"] for e in created] == [r["id"] for r in planned]
    assert [w["method"] for w in sb.writes()].count("POST") == 5
    assert [w["method"] for w in sb.writes()].count("PATCH") == 5
