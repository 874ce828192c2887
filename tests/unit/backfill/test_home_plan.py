"""``--home``: recorded in the plan, sealed, rendered, and re-derived by the loader."""

from __future__ import annotations

import json

import pytest

from chainkit.backfill import PlanOptions, parse_plan, render_plan_markdown, render_plan_table
from chainkit.backfill._errors import BackfillUsageError, PlanError
from chainkit.backfill._plan import compute_digest
from unit.backfill._factories import sample_plan


def test_attestations_mode_plans_immutable_and_already_bundled_assets() -> None:
    assets_mode = {a.name: a for r in sample_plan().releases for a in r.assets}
    api_mode = sample_plan(options=PlanOptions(home="attestations"))
    planned = {a.name: a for r in api_mode.releases for a in r.assets}
    # the immutable release's asset: skipped with guidance on the release, signed in the API
    assert assets_mode["widgets-0.8.tar.gz"].status == "immutable"
    assert "--home attestations" in assets_mode["widgets-0.8.tar.gz"].reason
    assert planned["widgets-0.8.tar.gz"].action == "sign"
    # a bundle on the release decides nothing in the API: the asset is attested
    assert assets_mode["widgets-0.9.whl"].status == "already-signed"
    assert planned["widgets-0.9.whl"].action == "sign"
    assert planned["widgets-0.9.whl"].existing_bundle_id is None
    # evidence still decides: the tampered asset stays blocked
    assert planned["widgets-1.0.zip"].status == "blocked"
    assert api_mode.options.home == "attestations"
    assert parse_plan(api_mode.to_json()) == api_mode


def test_the_home_is_sealed_and_rendered() -> None:
    plans = {home: sample_plan(options=PlanOptions(home=home)) for home in ("attestations", "both")}
    assert plans["attestations"].plan_digest != plans["both"].plan_digest
    md = render_plan_markdown(plans["attestations"])
    assert "- home: `attestations` (one attestation per release" in md
    assert "| home both |" in (render_plan_table(plans["both"]).caption or "")


def test_attestations_mode_refuses_bundle_options() -> None:
    with pytest.raises(BackfillUsageError, match="--home attestations"):
        sample_plan(options=PlanOptions(home="attestations", bundle_release="sigstore"))


def test_a_plan_without_a_home_is_refused_with_re_plan() -> None:
    data = json.loads(sample_plan().to_json())
    del data["options"]["home"]
    data["plan_digest"] = compute_digest(data)
    with pytest.raises(PlanError, match="has no home") as caught:
        parse_plan(json.dumps(data))
    assert "chainkit backfill plan" in (caught.value.remediation or "")


def test_a_resealed_attestations_plan_cannot_replace_a_bundle() -> None:
    data = json.loads(sample_plan(options=PlanOptions(home="attestations")).to_json())
    asset = next(a for r in data["releases"] for a in r["assets"] if a["name"] == "widgets-0.9.whl")
    asset["existing_bundle_id"] = 12345
    data["plan_digest"] = compute_digest(data)
    with pytest.raises(PlanError, match="replaces no bundle"):
        parse_plan(json.dumps(data))
