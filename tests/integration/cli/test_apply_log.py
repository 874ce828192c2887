"""What `backfill apply` writes into a log that is not a terminal (a GitHub Actions job)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from _plugins.sandbox import FullSandbox, asset, release, seed

LONG = "widgets_enterprise_edition-2.0.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"


def test_apply_log_is_one_plain_line_per_outcome_with_its_reason(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(
        seed(
            releases=[
                release("v2.0.0", assets=[asset(LONG, b"wheel two")]),
                release("v1.0.0", assets=[asset("w-1.0.0.whl", b"wheel one")]),
            ]
        )
    )
    planned = sb.plan(tmp_path / "plan.json", "--allow-unverified")
    assert planned.exit_code == 0, planned.output
    digest = json.loads(planned.stdout)["plan_digest"]
    # the asset changes after the plan: apply must refuse it and say why, on its line
    aid = next(a.id for a in sb.releases()["v1.0.0"].get_assets())
    replaced = sb.admin(
        "PUT", f"repos/acme/widgets/releases/assets/{aid}/content?digest=keep", data=b"tampered"
    )
    assert replaced.status_code == 200, replaced.text
    args = sb.apply_args(tmp_path / "plan.json", digest, tmp_path / "state")
    args.remove("--json")
    result = sb.chainkit(*args)
    assert result.exit_code == 1, result.output
    err = result.stderr.splitlines()
    assert "\x1b" not in result.stderr  # no colour codes, no progress bar, no cursor moves
    signed = [line for line in err if LONG in line]
    assert signed and signed[0].startswith("INFO: signed") and signed[0].endswith(LONG)
    problems = [line for line in err if line.startswith("WARNING: ") and "v1.0.0" in line]
    assert problems, result.stderr
    for line in problems:  # every failure line names its reason in parentheses
        assert line.rstrip().endswith(")") and "(" in line, line
    summary = result.stdout.splitlines()[-1]
    assert summary.startswith(("done:", "done with problems:"))
