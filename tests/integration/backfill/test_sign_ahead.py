"""Signing ahead: while an upload waits for the write budget, the next asset (its bytes
checked against the plan) is signed; no asset is signed twice in a run, and a kill between
the signature made ahead and its upload costs at most one extra log entry."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _plugins.sandbox import FullSandbox, asset, release, seed
from integration.backfill._flow import make_plan

# three bundles, the attestation and the notes: 5 writes at 1 a second. a's upload is the
# first write (no wait); b's waits for a's second, so c is signed meanwhile
TIGHT = "1/1s"
# signing ahead never waits for the next download: each log entry takes 0.3 s, so the
# next asset's download (started before this one is signed) is done by then
SLOW_LOG = {"rules": [{"service": "rekor", "method": "POST", "latency_ms": 300}]}


def three_wheels() -> dict[str, Any]:
    return seed(
        releases=[
            release(
                "v1.0.0",
                published_at="2025-01-01T00:00:00Z",
                assets=[asset(f"{n}-1.0.0.whl", f"{n}0", digest="auto") for n in "abc"],
            )
        ]
    )


def journal_steps(state: Path) -> list[tuple[str, Any]]:
    (journal,) = state.glob("*/journal.jsonl")
    steps = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    return [(s["step"], s.get("asset_id")) for s in steps if str(s["step"]).startswith("asset.")]


def test_the_next_asset_is_signed_while_an_upload_waits(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(three_wheels())
    plan = make_plan(sb, tmp_path / "plan.json")
    assert sb.admin("PUT", "fault-plan", json=SLOW_LOG).status_code < 300
    args = sb.apply_args(tmp_path / "plan.json", plan["plan_digest"], tmp_path / "state")
    result = sb.chainkit(*args, env=sb.env(CHAINKIT_WRITE_BUDGET=TIGHT))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["signed"] == 3
    assert "ahead, while the write before it waits for the budget" in result.output
    # c was signed before b's bundle was uploaded, and nothing was signed twice
    steps = journal_steps(tmp_path / "state")
    ids = [a["id"] for a in plan["releases"][0]["assets"]]
    assert steps.index(("asset.signed", ids[2])) < steps.index(("asset.uploaded", ids[1]))
    assert [s for s in steps if s[0] == "asset.signed"] == [("asset.signed", i) for i in ids]
    assert sb.tree_size() == 4  # three bundles and the attestation: no extra entry


def _slow_log_apply(sandbox_factory: Any, tmp_path: Path) -> tuple[FullSandbox, Callable[..., Any]]:
    """Three wheels planned, a slow log and a tight budget; ``run(state, **env)`` applies the
    plan as a process with that state directory."""
    sb: FullSandbox = sandbox_factory(three_wheels())
    plan = make_plan(sb, tmp_path / "plan.json")
    assert sb.admin("PUT", "fault-plan", json=SLOW_LOG).status_code < 300

    def run(state: str, **extra: str) -> Any:
        args = sb.apply_args(tmp_path / "plan.json", plan["plan_digest"], tmp_path / state)
        return sb.chainkit_process(*args, env=sb.env(CHAINKIT_WRITE_BUDGET=TIGHT, **extra))

    return sb, run


def test_a_kill_after_signing_ahead_costs_at_most_one_extra_entry(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb, run = _slow_log_apply(sandbox_factory, tmp_path)

    killed = run("s1", CHAINKIT_FAILPOINT="after-sign-ahead")
    assert killed.returncode == 86, killed.stderr
    assert sb.tree_size() == 3  # a (uploaded), b (its upload waiting), c (signed ahead)
    # the same state directory reuses b's saved bundle: exactly the published entries
    again = run("s1")
    assert again.returncode == 0, again.stderr
    assert sb.tree_size() == 4


def test_a_fresh_state_after_a_kill_after_signing_ahead_signs_once_more(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb, run = _slow_log_apply(sandbox_factory, tmp_path)

    assert run("s1", CHAINKIT_FAILPOINT="after-sign-ahead").returncode == 86
    again = run("fresh")  # another runner: b's and c's saved bundles are lost with s1
    assert again.returncode == 0, again.stderr
    # four published entries; b's lost signature is the cost of any kill before an upload,
    # c's the cost of signing ahead: at most the lookahead (one) more
    assert 4 + 1 <= sb.tree_size() <= 4 + 1 + 1
