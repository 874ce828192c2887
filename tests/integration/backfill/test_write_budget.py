"""GitHub's content-creation limits during ``chainkit backfill apply``.

The sandbox enforces scaled windows (seconds, not an hour) with the same logic as
github.com's 80/60 s and 500/3,600 s; apply, paced to the same budget, must do every
write without receiving a single secondary-limit refusal. Budgeted runs stop between
releases and the next run, with a fresh state directory, finishes without re-signing.
No test asserts a timing: counts and orderings only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from _plugins.sandbox import FullSandbox, asset, release, seed
from integration.backfill._flow import apply

SCALED = [{"requests": 4, "window_s": 2}, {"requests": 8, "window_s": 4}]
SCALED_BUDGET = "4/2s,8/4s"


def releases_seed(count: int, assets: int, **limits: Any) -> dict[str, Any]:
    doc = seed(
        releases=[
            release(
                f"v1.{i}.0",
                published_at=f"2025-0{1 + i % 9}-01T00:00:00Z",
                assets=[
                    asset(f"w{j}-1.{i}.0.whl", f"wheel {i} {j}", digest="auto")
                    for j in range(assets)
                ],
            )
            for i in range(count)
        ]
    )
    doc["limits"] = limits
    return doc


def plan(sb: FullSandbox, tmp_path: Path, *extra: str) -> tuple[Path, dict[str, Any]]:
    path = tmp_path / "plan.json"
    result = sb.plan(path, *extra)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return path, data


def stats(sb: FullSandbox) -> dict[str, Any]:
    data: dict[str, Any] = sb.admin("GET", "limits").json()
    return data


def test_apply_spends_the_budget_without_a_refusal(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(releases_seed(4, 2, content=SCALED))
    path, planned = plan(sb, tmp_path, "--write-budget", SCALED_BUDGET)
    # per release: two bundles, the attestation, the notes
    assert planned["estimate"]["writes"] == 16
    assert planned["estimate"]["write_budget"] == SCALED_BUDGET
    result = sb.chainkit(
        *sb.apply_args(path, planned["plan_digest"], tmp_path / "state"),
        env=sb.env(CHAINKIT_WRITE_BUDGET=SCALED_BUDGET),
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["complete"] is True and report["ok"] is True
    assert report["summary"]["signed"] == 8
    assert report["writes"] == 16
    assert (stats(sb)["admitted"], stats(sb)["refused"]) == (16, 0)
    assert "for GitHub's write budget (4 writes/2 s) before" in result.stderr


def test_a_refusal_is_waited_out_as_github_asks(sandbox_factory: Any, tmp_path: Path) -> None:
    # GitHub's limit is tighter than the budget apply was given: it is refused, waits the
    # retry-after GitHub sends, and finishes
    limits = {"content": [{"requests": 3, "window_s": 2}], "status": 429, "retry_after": 1}
    sb: FullSandbox = sandbox_factory(releases_seed(2, 1, **limits))
    path, planned = plan(sb, tmp_path)
    result = sb.chainkit(
        *sb.apply_args(path, planned["plan_digest"], tmp_path / "state"),
        env=sb.env(CHAINKIT_WRITE_BUDGET="100/1s"),
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["complete"] is True and report["summary"]["signed"] == 2
    assert stats(sb)["refused"] >= 1
    assert stats(sb)["admitted"] == 6
    assert "with a rate limit (429); waiting 1 s, then retry 1" in result.stderr
    assert "waiting 1 s for GitHub's secondary rate limit before" in result.stderr


def test_refused_again_and_again_gives_up_with_exit_3(sandbox_factory: Any, tmp_path: Path) -> None:
    # refused for longer than the budget's longest window (2 s here): someone else spends
    # the budget; at least four retries, then exit 3
    limits = {"content": [{"requests": 1, "window_s": 3600}], "retry_after": 0}
    sb: FullSandbox = sandbox_factory(releases_seed(1, 2, **limits))
    path, planned = plan(sb, tmp_path)
    result = sb.chainkit(
        *sb.apply_args(path, planned["plan_digest"], tmp_path / "state"),
        env=sb.env(CHAINKIT_WRITE_BUDGET="100/2s"),
    )
    assert result.exit_code == 3, result.output
    assert "GitHub refused it with a rate limit" in result.stderr
    assert stats(sb)["admitted"] == 1
    assert stats(sb)["refused"] >= 5  # the first try and at least four retries


def test_max_writes_stops_between_releases_and_a_new_job_continues(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(releases_seed(3, 1))
    path, planned = plan(sb, tmp_path)
    digest = planned["plan_digest"]
    first = apply(sb, path, digest, tmp_path / "job1", "--max-writes", "7")
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    # each release takes 3 writes: two fit in 7, the third would make 9
    assert report["complete"] is False
    assert report["writes"] == 6
    assert report["remaining"]["releases"] == 1
    assert report["remaining"]["assets"] == 1
    assert report["remaining"]["writes"] == 3
    assert report["stopped"].startswith("--max-writes 7: 6 done")
    assert report["summary"]["signed"] == 2
    signed_first = {o["release"] for o in report["outcomes"] if o["result"] == "signed"}
    assert "stopped before the end" in first.stderr
    sb.clear_requests()
    # the next job: a fresh state directory, the same approved plan
    second = apply(sb, path, digest, tmp_path / "job2")
    assert second.exit_code == 0, second.output
    again = json.loads(second.stdout)
    assert again["complete"] is True and again["ok"] is True
    signed_now = {o["release"] for o in again["outcomes"] if o["result"] == "signed"}
    assert signed_now == set(report["remaining"]["tags"])
    assert not signed_now & signed_first  # nothing signed twice
    assert again["certificates"] == 1
    uploads = [r for r in sb.requests_log() if r["kind"] == "upload"]
    assert len(uploads) == 2  # the last release's bundle and attestation only


def test_deadline_already_past_stops_before_the_first_release(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(releases_seed(2, 1))
    path, planned = plan(sb, tmp_path)
    result = apply(
        sb, path, planned["plan_digest"], tmp_path / "state", "--deadline", "2020-01-01T00:00:00Z"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["complete"] is False
    assert report["writes"] == 0 and report["certificates"] == 0
    assert report["remaining"]["releases"] == 2
    assert report["stopped"].startswith("--deadline:")


def test_bad_budget_and_deadline_are_usage_errors(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(releases_seed(1, 1))
    path, planned = plan(sb, tmp_path)
    for extra in (("--write-budget", "80/60"), ("--deadline", "tomorrow")):
        result = apply(sb, path, planned["plan_digest"], tmp_path / "state", *extra)
        assert result.exit_code == 2, result.output
        assert "hint:" in result.stderr
    assert sb.writes() == []


def test_attestations_home_is_estimated_and_spent_at_one_write_per_release(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    # --home attestations: one API attestation per release plus the notes edit, counted
    # by the same budget as every other write (the estimate says so before apply)
    sb: FullSandbox = sandbox_factory(releases_seed(4, 3, content=SCALED))
    path, planned = plan(sb, tmp_path, "--home", "attestations", "--write-budget", SCALED_BUDGET)
    assert planned["estimate"]["writes"] == 8
    result = sb.chainkit(
        *sb.apply_args(path, planned["plan_digest"], tmp_path / "state"),
        env=sb.env(CHAINKIT_WRITE_BUDGET=SCALED_BUDGET),
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["complete"] is True and report["writes"] == 8
    assert (stats(sb)["admitted"], stats(sb)["refused"]) == (8, 0)


def test_max_writes_counts_attestation_home_writes(sandbox_factory: Any, tmp_path: Path) -> None:
    # three releases at two writes each in the attestations home: --max-writes 4 does two
    sb: FullSandbox = sandbox_factory(releases_seed(3, 3, content=[]))
    path, planned = plan(sb, tmp_path, "--home", "attestations")
    result = sb.chainkit(
        *sb.apply_args(path, planned["plan_digest"], tmp_path / "state"), "--max-writes", "4"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["complete"] is False and report["writes"] == 4
    assert report["remaining"]["releases"] == 1 and report["remaining"]["writes"] == 2


def test_the_estimate_counts_the_interval_apply_keeps(sandbox_factory: Any, tmp_path: Path) -> None:
    # review 9, break 10: apply keeps 1 s between writes on github.com, the estimate did
    # not (80 writes: "no wait" instead of 79 s)
    sb: FullSandbox = sandbox_factory(releases_seed(4, 2))
    _, planned = plan(sb, tmp_path, "--write-budget", "100/60s")
    assert planned["estimate"]["writes"] == 16
    assert planned["estimate"]["seconds"] == 0  # a loopback API: no interval, as in apply
    env = sb.env(token="read", CHAINKIT_WRITE_INTERVAL="1")
    result = sb.plan(tmp_path / "plan-1s.json", "--write-budget", "100/60s", env=env)
    assert result.exit_code == 0, result.output
    needs = json.loads(result.stdout)["estimate"]
    assert needs["seconds"] == 15 and needs["write_interval"] == 1
    assert needs["write_budget"] == "100/60s"
