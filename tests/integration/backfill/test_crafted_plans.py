"""Crafted plans: resealed with a valid digest, still refused or harmless.

The digest proves a plan was not edited after sealing, not who sealed it. A plan
carrying decisions the planner never makes is refused at load time (exit 2), and a
well-formed replace deletes nothing but the bundle it names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from _plugins.sandbox import FullSandbox
from chainkit.backfill._plan import compute_digest


def seed() -> dict[str, Any]:
    return {
        "version": 1,
        "repos": [
            {
                "full_name": "acme/widgets",
                "releases": [
                    {
                        "tag": "v1.0.0",
                        "published_at": "2025-11-01T00:00:00Z",
                        "assets": [
                            {"name": "a.whl", "content": "aaa", "digest": "auto"},
                            {"name": "b.whl", "content": "bbb", "digest": "auto"},
                        ],
                    }
                ],
            }
        ],
    }


def _reseal(plan: dict[str, Any]) -> dict[str, Any]:
    plan["plan_digest"] = compute_digest(plan)
    return plan


def test_a_crafted_replace_cannot_delete_another_asset(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(seed())
    plan_file = tmp_path / "plan.json"
    sb.plan(plan_file)
    plan = json.loads(plan_file.read_text())
    assets = plan["releases"][0]["assets"]
    b_id = next(a["id"] for a in assets if a["name"] == "b.whl")
    a = next(a for a in assets if a["name"] == "a.whl")

    # 1. a replace the planner never made (no --verify-existing) is refused at load time
    a.update(action="replace", existing_bundle_id=b_id)
    crafted = tmp_path / "crafted.json"
    crafted.write_text(json.dumps(_reseal(plan)))
    result = sb.chainkit(*sb.apply_args(crafted, plan["plan_digest"], tmp_path / "s1"))
    assert result.exit_code == 2
    assert "replace without --verify-existing" in result.stderr

    # 2. even a well-formed replace deletes nothing but the bundle it names
    plan["options"]["verify_existing"] = True
    a.update(status="replace")
    crafted.write_text(json.dumps(_reseal(plan)))
    result = sb.chainkit(*sb.apply_args(crafted, plan["plan_digest"], tmp_path / "s2"))
    assert result.exit_code == 1, result.output
    names = {x.name for x in sb.releases()["v1.0.0"].get_assets()}
    assert "b.whl" in names
    assert [w for w in sb.writes() if w["method"] == "DELETE"] == []


def test_signing_without_evidence_needs_allow_unverified(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(seed())
    plan_file = tmp_path / "plan.json"
    sb.plan(plan_file)
    plan = json.loads(plan_file.read_text())
    plan["releases"][0]["assets"][0]["expected_sha256"] = None
    crafted = tmp_path / "crafted.json"
    crafted.write_text(json.dumps(_reseal(plan)))
    result = sb.chainkit(*sb.apply_args(crafted, plan["plan_digest"], tmp_path / "state"))
    assert result.exit_code == 2
    assert "--allow-unverified" in result.stderr
    assert sb.tree_size() == 0
