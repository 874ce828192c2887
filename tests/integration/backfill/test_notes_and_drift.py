"""Release notes vouch only for what chainkit verified, every signed asset ends up in its
release's attestation and notes, "plan again" works, and drift between plan and apply is
detected - all through the CLI against the sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests

from _plugins.sandbox import FullSandbox, asset, release, seed
from integration.backfill._flow import (
    apply,
    attestation_subjects,
    make_plan,
    outcome,
    sha,
    upload,
)


def two_assets() -> dict[str, Any]:
    return seed(
        releases=[
            release(
                "v1.0.0",
                body="Notes",
                assets=[asset("a.whl", "aaa", digest="auto"), asset("b.whl", "bbb", digest="auto")],
            )
        ]
    )


def patch_release(sb: FullSandbox, release_id: int, **fields: Any) -> None:
    answer = requests.patch(
        f"{sb.api_url}/repos/acme/widgets/releases/{release_id}",
        json=fields,
        headers={"Authorization": f"token {sb.info.token}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


def test_a_foreign_bundle_is_not_listed_under_chainkits_identity(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_assets())
    upload(sb, sb.releases()["v1.0.0"].id, "a.whl.sigstore.json", b'{"not": "ours"}')
    plan_file = tmp_path / "plan.json"
    plan = make_plan(sb, plan_file)
    result = apply(sb, plan_file, plan["plan_digest"], tmp_path / "state")
    assert result.exit_code == 0, result.output
    assert outcome(result, "b.whl")["result"] == "signed"
    body = sb.releases()["v1.0.0"].body
    assert "b.whl.sigstore.json" in body
    assert "a.whl.sigstore.json" not in body


def test_an_asset_signed_in_a_later_run_joins_the_attestation_and_notes(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_assets())
    plan_file = tmp_path / "plan.json"
    plan = make_plan(sb, plan_file)
    b_id = next(a["id"] for a in plan["releases"][0]["assets"] if a["name"] == "b.whl")
    # b.whl's download fails once (a transient failure of one asset)
    answer = sb.admin(
        "POST",
        "faults",
        json={"method": "GET", "path": rf"/releases/assets/{b_id}$", "status": 404, "times": 1},
    )
    assert answer.status_code in {200, 201}, answer.text
    state = tmp_path / "state"
    first = apply(sb, plan_file, plan["plan_digest"], state)
    assert first.exit_code == 1, first.output
    assert outcome(first, "b.whl")["result"] == "failed"

    again = apply(sb, plan_file, plan["plan_digest"], state)
    assert again.exit_code == 0, again.output
    assert outcome(again, "b.whl")["result"] == "signed"
    name = plan["releases"][0]["attestation"]["name"]
    assert attestation_subjects(sb, "v1.0.0", name) == [
        ("a.whl", sha("aaa")),
        ("b.whl", sha("bbb")),
    ]
    body = sb.releases()["v1.0.0"].body
    assert "a.whl.sigstore.json" in body and "b.whl.sigstore.json" in body


def test_plan_again_after_changed_notes_writes_the_section(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_assets())
    plan_file = tmp_path / "plan.json"
    plan = make_plan(sb, plan_file)
    patch_release(sb, plan["releases"][0]["id"], body="Notes, edited after the plan")
    first = apply(sb, plan_file, plan["plan_digest"], tmp_path / "state")
    assert first.exit_code == 1, first.output
    assert "plan again" in outcome(first, "release notes")["detail"]

    # the documented remedy: a new plan, which must plan the missing section
    plan2_file = tmp_path / "plan2.json"
    plan2 = make_plan(sb, plan2_file)
    (planned,) = plan2["releases"]
    assert planned["notes"]["action"] == "update", planned["notes"]
    assert planned["attestation"]["action"] == "skip"  # the first run attested both
    sb.clear_requests()
    second = apply(sb, plan2_file, plan2["plan_digest"], tmp_path / "state2")
    assert second.exit_code == 0, second.output
    body = sb.releases()["v1.0.0"].body
    assert body.startswith("Notes, edited after the plan")
    assert "a.whl.sigstore.json" in body and "b.whl.sigstore.json" in body
    assert "chainkit-backfill-attestation" in body
    assert sb.tree_size() == 3  # nothing signed again
    assert [w["kind"] for w in sb.writes()] == ["update-release"]


def test_plan_again_attests_signed_assets_without_an_attestation(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_assets())
    plan_file = tmp_path / "plan.json"
    plan = make_plan(sb, plan_file)
    name = plan["releases"][0]["attestation"]["name"]
    upload(sb, plan["releases"][0]["id"], name, b"{}")  # its name is taken: conflict
    first = apply(sb, plan_file, plan["plan_digest"], tmp_path / "state")
    assert outcome(first, name)["result"] == "conflict"
    # someone removes the foreign file; a new plan attests the signed assets
    release_ = sb.releases()["v1.0.0"]
    next(a for a in release_.get_assets() if a.name == name).delete_asset()
    plan2_file = tmp_path / "plan2.json"
    plan2 = make_plan(sb, plan2_file)
    assert plan2["releases"][0]["attestation"]["action"] == "sign"
    second = apply(sb, plan2_file, plan2["plan_digest"], tmp_path / "state2")
    assert second.exit_code == 0, second.output
    name2 = plan2["releases"][0]["attestation"]["name"]
    assert attestation_subjects(sb, "v1.0.0", name2) == [
        ("a.whl", sha("aaa")),
        ("b.whl", sha("bbb")),
    ]
    assert name2 in sb.releases()["v1.0.0"].body


def test_a_renamed_tag_is_drift(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(two_assets())
    plan_file = tmp_path / "plan.json"
    plan = make_plan(sb, plan_file)
    patch_release(sb, plan["releases"][0]["id"], tag_name="v1.0.0-moved")
    result = apply(sb, plan_file, plan["plan_digest"], tmp_path / "state")
    assert result.exit_code == 1, result.output
    assert outcome(result, "a.whl")["result"] == "drift"
    assert "tag" in outcome(result, "a.whl")["detail"]
    assert sb.tree_size() == 0


def test_an_asset_replaced_with_identical_bytes_is_drift(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """Same bytes, size and digest, but a new ``updated_at``: not the asset planned."""
    sb: FullSandbox = sandbox_factory(two_assets())
    plan_file = tmp_path / "plan.json"
    plan = make_plan(sb, plan_file)
    a_id = next(a["id"] for a in plan["releases"][0]["assets"] if a["name"] == "a.whl")
    answer = sb.admin(
        "PUT", f"repos/acme/widgets/releases/assets/{a_id}/content?digest=update", data=b"aaa"
    )
    assert answer.status_code == 200, answer.text
    result = apply(sb, plan_file, plan["plan_digest"], tmp_path / "state")
    assert result.exit_code == 1, result.output
    assert outcome(result, "a.whl")["result"] == "drift"
    assert outcome(result, "b.whl")["result"] == "signed"
    report = json.loads(result.stdout)
    assert report["summary"]["drift"] == 1


def test_a_tag_moved_to_another_commit_is_drift(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(two_assets())
    plan_file = tmp_path / "plan.json"
    plan = make_plan(sb, plan_file)
    planned_commit = plan["releases"][0]["tag_commit"]
    assert planned_commit and len(planned_commit) == 40
    moved = "c0ffee" + "0" * 34
    answer = sb.admin("PUT", "repos/acme/widgets/tags/v1.0.0", json={"sha": moved})
    assert answer.status_code == 200, answer.text
    sb.clear_requests()
    result = apply(sb, plan_file, plan["plan_digest"], tmp_path / "state")
    assert result.exit_code == 1, result.output
    for item in ("a.whl", "b.whl"):
        assert outcome(result, item)["result"] == "drift"
        assert "moved to commit c0ffee000000" in outcome(result, item)["detail"]
    assert sb.tree_size() == 0  # nothing signed
    assert sb.writes() == []
    # one tag listing for the whole apply, not one per release
    assert [r["kind"] for r in sb.requests_log()].count("list-tags") == 1


def test_a_release_edited_after_the_plan_is_drift(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(two_assets())
    plan_file = tmp_path / "plan.json"
    plan = make_plan(sb, plan_file)
    patch_release(sb, plan["releases"][0]["id"], name="Renamed after the plan")
    sb.clear_requests()
    result = apply(sb, plan_file, plan["plan_digest"], tmp_path / "state")
    assert result.exit_code == 1, result.output
    detail = outcome(result, "a.whl")["detail"]
    assert outcome(result, "a.whl")["result"] == "drift"
    assert "edited since the plan (name;" in detail and "plan again" in detail
    assert sb.tree_size() == 0
    assert sb.writes() == []


def test_a_resumed_apply_does_not_take_its_own_writes_for_drift(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_assets())
    plan_file = tmp_path / "plan.json"
    plan = make_plan(sb, plan_file)
    args = sb.apply_args(plan_file, plan["plan_digest"], tmp_path / "state")
    killed = sb.chainkit_process(*args, env=sb.env(CHAINKIT_FAILPOINT="before-notes"))
    assert killed.returncode == 86, killed.stderr
    # the killed run uploaded bundles and the attestation: the release's updated_at moved
    after = sb.releases()["v1.0.0"].updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert after != plan["releases"][0]["updated_at"]
    assert sb.tree_size() == 3
    result = sb.chainkit(*args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"]["drift"] == 0 and report["summary"]["done"] == 2
    assert outcome(result, "release notes")["result"] == "signed"
    assert sb.tree_size() == 3  # nothing signed again
