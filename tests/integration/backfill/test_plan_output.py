"""``backfill plan -o FILE`` writes where the user points: a pipe or ``/dev/stdout`` is
written to, a planted symlink to a regular file is replaced instead of written through."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from _plugins.sandbox import FullSandbox
from integration.backfill._flow import two_wheels


def test_dev_stdout_is_written_to(sandbox_factory: Any) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    done = sb.chainkit_process(
        "backfill", "plan", "--repo", "acme/widgets", "-o", "/dev/stdout",
        env=sb.env(token="read"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    plan, _ = json.JSONDecoder().raw_decode(done.stdout)  # the plan, then the table
    assert plan["repository"] == "acme/widgets"
    assert f"plan_digest: {plan['plan_digest']}" in done.stdout


def test_a_planted_symlink_is_replaced_not_written_through(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    victim = tmp_path / "bashrc"
    victim.write_text("precious")
    (tmp_path / "plan.json").symlink_to(victim)
    result = sb.plan(tmp_path / "plan.json")
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "precious"
    assert not (tmp_path / "plan.json").is_symlink()
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["plan_digest"] == json.loads(result.stdout)["plan_digest"]
