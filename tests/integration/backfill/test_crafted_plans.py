"""Crafted plans: resealed with a valid digest, still refused or harmless.

The digest proves a plan was not edited after sealing, not who sealed it. A plan
carrying decisions the planner never makes is refused at load time (exit 2), and a
well-formed replace deletes nothing but the bundle it names.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from _plugins.sandbox import FullSandbox, asset, release
from _plugins.sandbox import seed as sandbox_seed
from integration.backfill._flow import (
    apply,
    apply_crafted,
    asset_bytes,
    make_plan,
    outcome,
    reseal,
    sha,
    two_wheels,
    upload,
)


def test_a_crafted_replace_cannot_delete_another_asset(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan_file = tmp_path / "plan.json"
    sb.plan(plan_file)
    plan = json.loads(plan_file.read_text())
    assets = plan["releases"][0]["assets"]
    b_id = next(a["id"] for a in assets if a["name"] == "b.whl")
    a = next(a for a in assets if a["name"] == "a.whl")

    # 1. a replace the planner never made (no --verify-existing) is refused at load time
    a.update(action="replace", existing_bundle_id=b_id)
    result = apply_crafted(sb, plan, tmp_path, tmp_path / "s1")
    assert result.exit_code == 2
    assert "replace without --verify-existing" in result.stderr

    # 2. a well-formed replace that names an asset of the plan as its bundle is refused too
    plan["options"]["verify_existing"] = True
    a.update(status="replace")
    result = apply_crafted(sb, plan, tmp_path, tmp_path / "s2")
    assert result.exit_code == 2, result.output
    assert "not a bundle" in result.stderr
    assert sb.writes() == []
    names = {x.name for x in sb.releases()["v1.0.0"].get_assets()}
    assert "b.whl" in names
    assert [w for w in sb.writes() if w["method"] == "DELETE"] == []


def test_signing_without_evidence_needs_allow_unverified(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan_file = tmp_path / "plan.json"
    sb.plan(plan_file)
    plan = json.loads(plan_file.read_text())
    plan["releases"][0]["assets"][0]["expected_sha256"] = None
    result = apply_crafted(sb, plan, tmp_path, tmp_path / "state")
    assert result.exit_code == 2
    assert "--allow-unverified" in result.stderr
    assert sb.tree_size() == 0


# -- decisions the planner could never produce (resealed, still refused) -------------


def test_a_crafted_bundle_name_cannot_replace_a_release_asset(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """The attack: replace 'the bundle' b.whl (really an asset) and upload a bundle under
    its name. Bundle names are derived by chainkit, never taken from the plan."""
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan = make_plan(sb, tmp_path / "plan.json", "--verify-existing")
    assets = plan["releases"][0]["assets"]
    b_id = next(a["id"] for a in assets if a["name"] == "b.whl")
    a = next(a for a in assets if a["name"] == "a.whl")
    plan["options"]["verify_existing"] = True
    a.update(status="replace", action="replace", existing_bundle_id=b_id, bundle_name="b.whl")
    result = apply_crafted(sb, plan, tmp_path, tmp_path / "state")
    assert result.exit_code == 2, result.output
    assert "bundle name" in result.stderr
    assert sb.writes() == []
    assert asset_bytes(sb, "v1.0.0", "b.whl") == b"bbb"


def test_a_crafted_attestation_name_is_refused(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan = make_plan(sb, tmp_path / "plan.json")
    plan["releases"][0]["attestation"]["name"] = "a.whl"
    result = apply_crafted(sb, plan, tmp_path, tmp_path / "state")
    assert result.exit_code == 2, result.output
    assert "attestation name" in result.stderr
    assert sb.tree_size() == 0


def blocked_seed() -> dict[str, Any]:
    """c.whl: GitHub's digest and SHA256SUMS disagree (blocked); d.whl: no evidence."""
    sums = f"{sha('something else')}  c.whl\n"
    return sandbox_seed(
        releases=[
            release(
                "v1.0.0",
                assets=[
                    asset("c.whl", "ccc", digest="auto"),
                    asset("d.whl", "ddd", digest=None),
                    asset("SHA256SUMS", sums, digest="auto"),
                ],
            )
        ]
    )


def test_an_asset_the_planner_blocked_cannot_be_signed(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(blocked_seed())
    plan = make_plan(sb, tmp_path / "plan.json", exit_code=1)
    c = next(a for a in plan["releases"][0]["assets"] if a["name"] == "c.whl")
    assert c["status"] == "blocked"
    c.update(status="sign", action="sign", expected_sha256=sha("ccc"))
    plan["releases"][0]["attestation"]["action"] = "sign"
    result = apply_crafted(sb, plan, tmp_path, tmp_path / "state")
    assert result.exit_code == 2, result.output
    assert "evidence" in result.stderr
    assert sb.tree_size() == 0


def test_a_sign_without_evidence_is_refused_unless_marked_unverified(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(blocked_seed())
    plan = make_plan(sb, tmp_path / "plan.json", exit_code=1)
    d = next(a for a in plan["releases"][0]["assets"] if a["name"] == "d.whl")
    assert d["status"] == "unverified" and d["evidence"] == []
    d.update(status="sign", action="sign", expected_sha256=sha("ddd"))
    plan["releases"][0]["attestation"]["action"] = "sign"
    result = apply_crafted(sb, plan, tmp_path, tmp_path / "state")
    assert result.exit_code == 2, result.output
    assert "evidence" in result.stderr
    assert sb.tree_size() == 0


def test_an_unverified_asset_is_signed_only_as_unverified(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """The planner's own --allow-unverified plan works, and the attestation says so."""
    sb: FullSandbox = sandbox_factory(blocked_seed())
    plan_file = tmp_path / "plan.json"
    plan = make_plan(sb, plan_file, "--allow-unverified", exit_code=1)
    result = apply(sb, plan_file, plan["plan_digest"], tmp_path / "state")
    assert outcome(result, "d.whl")["result"] == "signed", result.output
    name = plan["releases"][0]["attestation"]["name"]
    envelope = json.loads(asset_bytes(sb, "v1.0.0", name))["dsseEnvelope"]
    statement = json.loads(base64.b64decode(envelope["payload"]))
    verified = {s["name"]: s["verified"] for s in statement["predicate"]["subjects"]}
    assert verified == {"d.whl": False, "SHA256SUMS": True}


def test_a_plan_from_before_the_tag_and_edit_checks_is_refused(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan_file = tmp_path / "plan.json"
    plan = make_plan(sb, plan_file)
    for planned in plan["releases"]:  # as an older chainkit wrote plans
        del planned["updated_at"], planned["tag_commit"]
    digest = reseal(plan, plan_file)
    result = apply(sb, plan_file, digest, tmp_path / "state")
    assert result.exit_code == 2, result.output
    assert "missing 'updated_at', 'tag_commit'" in result.stderr
    assert "create a new plan" in result.stderr
    assert sb.tree_size() == 0


# -- the bundle release, evidence and replace of a resealed plan ----------------------


def _immutable_seed() -> dict[str, Any]:
    return sandbox_seed(
        releases=[
            release(
                "v2.0.0",
                published_at="2025-12-01T00:00:00Z",
                assets=[asset("w-2.whl", "two", digest="auto")],
            ),
            release(
                "v1.0.0",
                immutable=True,
                published_at="2025-11-01T00:00:00Z",
                assets=[asset("w-1.0.0.whl", "one", digest="auto")],
            ),
        ]
    )


def test_a_resealed_bundle_release_id_cannot_send_bundles_elsewhere(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(_immutable_seed())
    plan = make_plan(
        sb, tmp_path / "plan.json", "--bundle-release", "sigstore-bundles", "--tags", "v1.0.0"
    )
    v2 = sb.releases()["v2.0.0"]
    crafted = tmp_path / "crafted.json"
    # 1. an id together with create: true is refused at load time
    plan["bundle_release"]["id"] = v2.id
    result = apply(sb, crafted, reseal(plan, crafted), tmp_path / "s1")
    assert result.exit_code == 2, result.output
    assert "both exists" in result.stderr
    # 2. an id alone must name the release tagged as the plan says, before any signing
    plan["bundle_release"]["create"] = False
    result = apply(sb, crafted, reseal(plan, crafted), tmp_path / "s2")
    assert result.exit_code == 2, result.output
    assert "not the bundle release 'sigstore-bundles'" in result.stderr
    assert sb.writes() == [] and sb.tree_size() == 0
    assert [a.name for a in sb.releases()["v2.0.0"].get_assets()] == ["w-2.whl"]


def _unverified_plan(sb: FullSandbox, tmp_path: Path) -> dict[str, Any]:
    plan = make_plan(sb, tmp_path / "plan.json")
    (d,) = plan["releases"][0]["assets"]
    assert (d["status"], d["action"], d["digest"]) == ("unverified", "skip", None)
    return plan


def _fabricate(plan: dict[str, Any], evidence: dict[str, Any]) -> None:
    d = plan["releases"][0]["assets"][0]
    d.update(status="sign", action="sign", expected_sha256=sha("ddd"), evidence=[evidence])
    plan["releases"][0]["attestation"]["action"] = "sign"


FABRICATED = {
    "pypi": {"source": "pypi", "detail": "https://files.pythonhosted.org/x/d.whl"},
    "github-digest": {"source": "github-digest", "detail": "digest field of asset 1"},
    "checksum-file": {"source": "checksum-file", "detail": "SHA256SUMS line 1"},
}


@pytest.mark.parametrize("source", sorted(FABRICATED))
def test_fabricated_evidence_is_refused(sandbox_factory: Any, tmp_path: Path, source: str) -> None:
    sb: FullSandbox = sandbox_factory(
        sandbox_seed(
            releases=[
                release(
                    "v1.0.0",
                    published_at="2025-11-01T00:00:00Z",
                    assets=[asset("d.whl", "ddd", digest=None)],
                )
            ]
        )
    )
    plan = _unverified_plan(sb, tmp_path)
    _fabricate(plan, {**FABRICATED[source], "sha256": sha("ddd")})
    result = apply_crafted(sb, plan, tmp_path, tmp_path / "state")
    assert result.exit_code == 2, result.output
    assert f"{source} evidence" in result.stderr
    assert sb.writes() == [] and sb.tree_size() == 0


def test_a_summary_that_does_not_count_the_releases_is_refused(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan = make_plan(sb, tmp_path / "plan.json")
    plan["summary"]["actions"]["sign"] = 1
    plan["summary"]["actions"]["skip"] += 1
    result = apply_crafted(sb, plan, tmp_path, tmp_path / "state")
    assert result.exit_code == 2, result.output
    assert "summary does not count" in result.stderr
    assert sb.tree_size() == 0


def test_a_resealed_replace_never_deletes_a_valid_bundle(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    first = make_plan(sb, tmp_path / "p1.json")
    assert apply(sb, tmp_path / "p1.json", first["plan_digest"], tmp_path / "s1").exit_code == 0
    before = {a.name: a.id for a in sb.releases()["v1.0.0"].get_assets()}
    plan = make_plan(sb, tmp_path / "p2.json", "--verify-existing")
    a = next(x for x in plan["releases"][0]["assets"] if x["name"] == "a.whl")
    assert a["status"] == "already-signed"
    a.update(
        status="replace",
        action="replace",
        existing_bundle_id=before["a.whl.sigstore.json"],
        reason="the existing bundle does not verify: it will be replaced",
    )
    summary = plan["summary"]  # recounted, as a careful attacker would
    summary["statuses"]["already-signed"] -= 1
    summary["statuses"]["replace"] += 1
    summary["actions"]["skip"] -= 1
    summary["actions"]["replace"] += 1
    result = apply_crafted(sb, plan, tmp_path, tmp_path / "s2")
    assert result.exit_code == 1, result.output
    assert outcome(result, "a.whl")["result"] == "conflict"
    assert "verifies" in outcome(result, "a.whl")["detail"]
    after = {x.name: x.id for x in sb.releases()["v1.0.0"].get_assets()}
    assert after == before
    assert [w for w in sb.writes() if w["method"] == "DELETE"] == []


def _run_apply_library(sb: FullSandbox, plan: Any, tmp_path: Path, **fields: Any) -> Any:
    from chainkit._internal.ghenv import GitHubContext
    from chainkit.backfill import ApplyRequest, run_apply
    from chainkit.github import GitHubClient
    from chainkit.signing import load_trust_config

    context = GitHubContext(
        api_url=sb.api_url, token=sb.info.token, repository=None, step_summary=None,
        in_actions=False,
    )  # fmt: skip
    request = ApplyRequest(
        plan=plan, state_dir=tmp_path / "state", api_url=sb.api_url, in_actions=False, **fields
    )
    return run_apply(
        request,
        client=GitHubClient.from_context(context),
        trust_config=load_trust_config(sb.info.trust_config),
        token_provider=sb.identity_token,
        confirm=lambda: True,
    )


def test_run_apply_recomputes_the_digest_and_rechecks_the_decisions(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """A library caller's :class:`Plan` is no more trusted than a plan file: an edited
    plan under the approved digest, or a re-sealed one with a decision the planner never
    makes, is refused (exit-2 ``PlanError``) before anything is written."""
    import dataclasses

    from chainkit.backfill import PlanError, load_plan

    sb: FullSandbox = sandbox_factory(blocked_seed())
    path = tmp_path / "plan.json"
    make_plan(sb, path, exit_code=1)
    approved = load_plan(path)
    release_ = approved.releases[0]
    d = next(a for a in release_.assets if a.name == "d.whl")
    signed_d = dataclasses.replace(d, status="sign", action="sign", expected_sha256=sha("ddd"))
    crafted_release = dataclasses.replace(
        release_,
        assets=tuple(signed_d if a is d else a for a in release_.assets),
        attestation=dataclasses.replace(release_.attestation, action="sign"),
    )
    edited = dataclasses.replace(approved, releases=(crafted_release,))
    with pytest.raises(PlanError, match="changed after it was sealed") as refused:
        _run_apply_library(sb, edited, tmp_path, expect_digest=approved.plan_digest, yes=True)
    assert refused.value.exit_code == 2
    resealed = edited.sealed()
    with pytest.raises(PlanError, match="evidence"):
        _run_apply_library(sb, resealed, tmp_path, expect_digest=resealed.plan_digest, yes=True)
    assert sb.writes() == [] and sb.tree_size() == 0


def _foreign_bundle_seed() -> dict[str, Any]:
    return sandbox_seed(
        releases=[
            release(
                "v0.9.0",
                published_at="2025-10-01T00:00:00Z",
                assets=[asset("x.whl", "xxx", digest=None)],
            ),
            release(
                "v1.0.0",
                published_at="2025-11-01T00:00:00Z",
                body="notes",
                assets=[asset("d.whl", "ddd", digest=None)],
            ),
        ]
    )


def _copied_bundle(sb: FullSandbox, tmp_path: Path) -> bytes:
    """Our own valid bundle of x.whl (over sha("xxx")), from an honest earlier apply."""
    p0 = tmp_path / "p0.json"
    plan0 = make_plan(sb, p0, "--allow-unverified", "--tags", "v0.9.0")
    assert apply(sb, p0, plan0["plan_digest"], tmp_path / "s0").exit_code == 0
    return asset_bytes(sb, "v0.9.0", "x.whl.sigstore.json")


@pytest.mark.parametrize("evidence", ["none", "fabricated-pypi"])
def test_a_skipped_asset_cannot_make_the_notes_vouch_for_other_bytes(
    sandbox_factory: Any, tmp_path: Path, evidence: str
) -> None:
    """A re-sealed plan marks d.whl ``already-signed`` with the sha256 of other bytes, and
    a copy of our bundle of those bytes sits next to it: the skipped asset is validated
    like any other (no evidence: refused at load), and a bundle is listed only if it
    verifies over the asset's bytes hashed in this run (GitHub states no digest)."""
    sb: FullSandbox = sandbox_factory(_foreign_bundle_seed())
    xbundle = _copied_bundle(sb, tmp_path)
    plan = make_plan(sb, tmp_path / "plan.json", "--allow-unverified", "--tags", "v1.0.0")
    rel = plan["releases"][0]
    (d,) = rel["assets"]
    upload(sb, rel["id"], "d.whl.sigstore.json", xbundle)  # the attacker copies our bundle
    copied = next(a for a in sb.releases()["v1.0.0"].get_assets() if a.name.endswith(".json"))
    plan["summary"]["statuses"][d["status"]] -= 1
    plan["summary"]["statuses"]["already-signed"] += 1
    plan["summary"]["actions"][d["action"]] -= 1
    plan["summary"]["actions"]["skip"] += 1
    d.update(status="already-signed", action="skip", expected_sha256=sha("xxx"))
    if evidence == "fabricated-pypi":
        plan["options"]["pypi_project"] = "d"
        d["existing_bundle_id"] = copied.id
        d["evidence"] = [{"source": "pypi", "sha256": sha("xxx"), "detail": "https://x/d.whl"}]
    rel["notes"]["action"] = "update"
    rel["attestation"]["action"] = "skip"
    result = apply_crafted(sb, plan, tmp_path, tmp_path / "state")
    if evidence == "none":
        assert result.exit_code == 2, result.output
        assert "evidence supports" in result.stderr
    assert "d.whl.sigstore.json" not in (sb.releases()["v1.0.0"].body or "")


def test_a_planted_upload_record_and_a_resealed_digest_do_not_make_an_asset_done(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """The plan's expected sha256 (attacker-sealed) and the journal agree on other bytes,
    a copied bundle verifies over them: the asset is still downloaded and hashed (GitHub
    states no digest), so it is blocked and the copied bundle never listed."""
    from integration.backfill.test_state_dir import planted

    sb: FullSandbox = sandbox_factory(_foreign_bundle_seed())
    xbundle = _copied_bundle(sb, tmp_path)
    plan = make_plan(sb, tmp_path / "plan.json", "--allow-unverified", "--tags", "v1.0.0")
    rel = plan["releases"][0]
    (d,) = rel["assets"]
    plan["options"]["pypi_project"] = "d"
    d.update(
        status="sign",
        action="sign",
        expected_sha256=sha("xxx"),
        evidence=[{"source": "pypi", "sha256": sha("xxx"), "detail": "https://x/d.whl"}],
    )
    plan["summary"]["statuses"]["unverified"] -= 1
    plan["summary"]["statuses"]["sign"] += 1
    upload(sb, rel["id"], "d.whl.sigstore.json", xbundle)
    crafted = tmp_path / "crafted.json"
    digest = reseal(plan, crafted)
    plan["plan_digest"] = digest
    event = {
        "step": "asset.uploaded",
        "asset_id": d["id"],
        "sha256": sha("xxx"),
        "bundle_name": "d.whl.sigstore.json",
    }
    state, _ = planted(tmp_path, plan, event)
    result = apply(sb, crafted, digest, state)
    assert result.exit_code == 1, result.output
    assert outcome(result, "d.whl")["result"] in {"blocked", "drift"}
    assert "d.whl.sigstore.json" not in (sb.releases()["v1.0.0"].body or "")


@pytest.mark.parametrize("variant", ["pypi", "checksum-file"])
def test_fabricated_evidence_is_re_derived_before_signing(
    sandbox_factory: Any, tmp_path: Path, variant: str
) -> None:
    """Evidence that passes the plan's own cross-checks (a PyPI project in the options, a
    checksum file listed for the release) is re-derived at apply from its source: a PyPI
    index that does not state it, a checksum file that is not on the release; the asset
    is blocked with the reason, never signed."""
    sb: FullSandbox = sandbox_factory(
        sandbox_seed(
            releases=[
                release(
                    "v1.0.0",
                    published_at="2025-11-01T00:00:00Z",
                    assets=[asset("d.whl", "ddd", digest=None)],
                )
            ]
        )
    )
    plan = make_plan(sb, tmp_path / "plan.json")
    rel = plan["releases"][0]
    (d,) = rel["assets"]
    if variant == "pypi":
        plan["options"]["pypi_project"] = "d"
        detail = "https://files.pythonhosted.org/x/d.whl"
    else:
        rel["checksum_files"] = [
            {"asset_id": 424242, "name": "SHA256SUMS", "algorithm": "sha256", "entries": 1,
             "used": True}
        ]  # fmt: skip
        detail = "SHA256SUMS line 1"
    d.update(
        status="sign",
        action="sign",
        expected_sha256=sha("ddd"),
        evidence=[{"source": variant, "sha256": sha("ddd"), "detail": detail}],
    )
    plan["summary"]["statuses"]["unverified"] -= 1
    plan["summary"]["statuses"]["sign"] += 1
    plan["summary"]["actions"]["skip"] -= 1
    plan["summary"]["actions"]["sign"] += 1
    rel["attestation"]["action"] = "sign"
    rel["notes"]["action"] = "update"
    result = apply_crafted(sb, plan, tmp_path, tmp_path / "state")
    assert result.exit_code == 1, result.output
    blocked = outcome(result, "d.whl")
    assert blocked["result"] == "blocked"
    assert "evidence does not hold" in blocked["detail"]
    assert [a.name for a in sb.releases()["v1.0.0"].get_assets()] == ["d.whl"]
    assert sb.tree_size() == 0


def test_pypi_evidence_is_fetched_again_at_apply(
    sandbox_factory: Any, pypi_index: Any, tmp_path: Path
) -> None:
    """The planner's PyPI evidence signs when the index (this apply's, the plan's) still
    states it; once the index states other bytes, the asset is blocked."""
    from chainkit.backfill._pypi import INDEX_URL_ENV

    wheel = b"pypi wheel"
    pypi_index.add_file("widgets", "w-1.0-py3-none-any.whl", wheel)
    sb: FullSandbox = sandbox_factory(
        sandbox_seed(
            releases=[
                release(
                    "v1.0.0",
                    published_at="2025-11-01T00:00:00Z",
                    assets=[asset("w-1.0-py3-none-any.whl", wheel.decode(), digest=None)],
                )
            ]
        )
    )
    path = tmp_path / "plan.json"
    planned = sb.plan(
        path,
        "--pypi-project",
        "widgets",
        env=sb.env(token="read", **{INDEX_URL_ENV: pypi_index.url}),
    )
    assert planned.exit_code == 0, planned.output
    plan = json.loads(path.read_text())
    env = sb.env(**{INDEX_URL_ENV: pypi_index.url})
    # the index now states other bytes for the file: not signed
    pypi_index.projects.clear()
    pypi_index.add_file("widgets", "w-1.0-py3-none-any.whl", b"other")
    result = sb.chainkit(*sb.apply_args(path, plan["plan_digest"], tmp_path / "s1"), env=env)
    assert result.exit_code == 1, result.output
    assert outcome(result, "w-1.0-py3-none-any.whl")["result"] == "blocked"
    assert sb.tree_size() == 0
    # the index states the planned bytes again: signed
    pypi_index.projects.clear()
    pypi_index.add_file("widgets", "w-1.0-py3-none-any.whl", wheel)
    result = sb.chainkit(*sb.apply_args(path, plan["plan_digest"], tmp_path / "s2"), env=env)
    assert result.exit_code == 0, result.output
    assert outcome(result, "w-1.0-py3-none-any.whl")["result"] == "signed"


@pytest.mark.parametrize("field", ["tag_commit", "updated_at"])
def test_a_null_tag_commit_or_updated_at_does_not_switch_drift_checks_off(
    sandbox_factory: Any, tmp_path: Path, field: str
) -> None:
    """A re-sealed plan with ``tag_commit: null`` (the tag exists) or ``updated_at: null``
    (the release was renamed since) is drift, exit 1, nothing signed."""
    from integration.backfill.test_notes_and_drift import patch_release

    sb: FullSandbox = sandbox_factory(two_wheels())
    plan = make_plan(sb, tmp_path / "plan.json")
    plan["releases"][0][field] = None
    if field == "updated_at":
        patch_release(sb, plan["releases"][0]["id"], name="Renamed after the plan")
    result = apply_crafted(sb, plan, tmp_path, tmp_path / "state")
    assert result.exit_code == 1, result.output
    assert outcome(result, "a.whl")["result"] == "drift"
    assert sb.tree_size() == 0
