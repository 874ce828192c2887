"""A repeated apply downloads nothing that GitHub's own digest and a verifying bundle (or
API attestation) already vouch for; changed bytes are still caught."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from _plugins.sandbox import FullSandbox
from integration.backfill._flow import apply, make_plan, two_wheels


def asset_downloads(sb: FullSandbox) -> list[str]:
    """Names of the release's own assets (not bundles) downloaded since the last clear."""
    names = {str(a.id): a.name for rel in sb.releases().values() for a in rel.get_assets()}
    fetched = [names.get(r["path"].rsplit("/", 1)[1], "?") for r in sb.requests_log()
               if r["kind"] == "download"]  # fmt: skip
    return [n for n in fetched if not n.endswith(".sigstore.json")]


def test_release_assets_reapply_with_a_fresh_state_downloads_no_asset(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan = make_plan(sb, tmp_path / "plan.json")
    first = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "state")
    assert first.exit_code == 0, first.output
    entries = sb.tree_size()
    for state in ("state", "fresh-state"):  # a continuation job has a fresh one
        sb.clear_requests()
        again = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / state)
        assert again.exit_code == 0, again.output
        report = json.loads(again.stdout)
        assert report["summary"]["done"] == 2 and report["summary"]["signed"] == 0
        # GitHub states each asset's digest, equal to the plan's, and our bundle verifies
        # over it: the bundle is read, the asset is not downloaded
        assert asset_downloads(sb) == [], state
        assert sb.writes() == []
    assert sb.tree_size() == entries


def test_attestations_reapply_downloads_no_asset(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan = make_plan(sb, tmp_path / "plan.json", "--home", "attestations")
    first = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "state")
    assert first.exit_code == 0, first.output
    assert sorted(asset_downloads(sb)) == ["a.whl", "b.whl"]  # the first run hashes them
    entries = sb.tree_size()
    sb.clear_requests()
    again = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "state")
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout)
    assert report["summary"]["done"] == 2 and report["summary"]["signed"] == 0
    assert asset_downloads(sb) == []
    assert sb.writes() == [] and sb.tree_size() == entries


def test_changed_bytes_under_the_same_name_are_still_drift(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """The shortcut needs GitHub's digest to be the plan's: an asset replaced since (new
    bytes, new digest) is drift, whatever bundle is in place."""
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan = make_plan(sb, tmp_path / "plan.json")
    first = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "state")
    assert first.exit_code == 0, first.output
    entries = sb.tree_size()
    rel = sb.releases()["v1.0.0"]
    (old,) = [a for a in rel.get_assets() if a.name == "a.whl"]
    old.delete_asset()
    rel.upload_asset_from_memory(b"not aaa", 7, name="a.whl", content_type="application/zip")
    sb.clear_requests()
    again = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "fresh")
    assert again.exit_code == 1, again.output
    results = {o["item"]: o["result"] for o in json.loads(again.stdout)["outcomes"]}
    assert results["a.whl"] == "drift"
    # nothing signed or uploaded for the new bytes (the notes may be rewritten)
    assert [w for w in sb.writes() if w["method"] == "POST"] == []
    assert sb.tree_size() == entries
