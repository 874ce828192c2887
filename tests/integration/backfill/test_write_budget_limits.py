"""The write budget against a follow-on job, hostile limits and failing writes.

A run counts the writes an earlier run made within the budget's longest window, retries
a refused write until that window has passed, never spends more than ``--max-writes``
(a bundle release created and a stale bundle deleted count too), refuses limits no run
could ever progress under, counts only the writes GitHub answered without refusing, and
survives hostile ``retry-after`` values and budgets. No test asserts a timing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from _plugins.sandbox import FullSandbox, asset, release, seed
from integration.backfill._flow import apply


def releases_seed(count: int, assets: int, **limits: Any) -> dict[str, Any]:
    doc = seed(
        releases=[
            release(
                f"v1.{i}.0",
                published_at="2025-11-01T00:00:00Z",
                assets=[
                    asset(f"w{j}-1.{i}.0.whl", f"wheel {i} {j}", digest="auto")
                    for j in range(assets)
                ],
            )
            for i in range(count)
        ]
    )
    if limits:
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


def run(sb: FullSandbox, path: Path, digest: str, state: Path, *extra: str, **env: str) -> Any:
    return sb.chainkit(*sb.apply_args(path, digest, state), *extra, env=sb.env(**env))


# -- 1: a follow-on job ----------------------------------------------------------------


def test_a_follow_on_job_counts_the_earlier_jobs_writes(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    limits = {"content": [{"requests": 6, "window_s": 6}], "retry_after": 1}
    sb: FullSandbox = sandbox_factory(releases_seed(4, 1, **limits))
    path, planned = plan(sb, tmp_path, "--write-budget", "6/6s")
    first = run(sb, path, planned["plan_digest"], tmp_path / "j1", "--max-writes", "6",
                CHAINKIT_WRITE_BUDGET="6/6s")  # fmt: skip
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["writes"] == 6
    # the next job, at once, with a fresh state directory: it must not write before the
    # first job's six writes have left the window
    second = run(sb, path, planned["plan_digest"], tmp_path / "j2", CHAINKIT_WRITE_BUDGET="6/6s")
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["complete"] is True
    assert stats(sb)["refused"] == 0
    assert "recent write(s) of an earlier run against the budget" in second.stderr


def test_a_follow_on_job_counts_the_earlier_jobs_api_attestations(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    # review 9, break 5: in attestations mode the POSTs leave no trace on the release; the
    # follow-on job counted only the notes edits and was refused at once
    limits = {"content": [{"requests": 4, "window_s": 4}], "retry_after": 1}
    sb: FullSandbox = sandbox_factory(releases_seed(4, 1, **limits))
    path, planned = plan(sb, tmp_path, "--write-budget", "4/4s", "--home", "attestations")
    first = run(sb, path, planned["plan_digest"], tmp_path / "j1", "--max-writes", "4",
                CHAINKIT_WRITE_BUDGET="4/4s")  # fmt: skip
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["writes"] == 4
    second = run(sb, path, planned["plan_digest"], tmp_path / "j2", CHAINKIT_WRITE_BUDGET="4/4s")
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["complete"] is True
    assert "counting 4 recent write(s) of an earlier run" in second.stderr
    assert stats(sb)["refused"] == 0


def test_refusals_are_retried_until_the_longest_window_has_passed(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    # GitHub's window (4 s) frees long after five quick refusals (0.1 s floor, doubling):
    # retried until the budget's longest window (6 s) has passed, the write succeeds
    limits = {"content": [{"requests": 2, "window_s": 4}], "retry_after": 0}
    sb: FullSandbox = sandbox_factory(releases_seed(1, 1, **limits))
    path, planned = plan(sb, tmp_path)
    result = run(sb, path, planned["plan_digest"], tmp_path / "s", CHAINKIT_WRITE_BUDGET="100/6s")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["complete"] is True
    assert stats(sb)["refused"] > 5
    assert stats(sb)["admitted"] == 3


def test_refusals_are_not_waited_for_past_the_deadline(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    limits = {"content": [{"requests": 2, "window_s": 3600}], "retry_after": 0}
    sb: FullSandbox = sandbox_factory(releases_seed(1, 1, **limits))
    path, planned = plan(sb, tmp_path)
    result = run(sb, path, planned["plan_digest"], tmp_path / "s", "--deadline", "2s",
                 CHAINKIT_WRITE_BUDGET="100/1h")  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "passes --deadline" in result.stderr
    assert "hint:" in result.stderr


# -- 2: --max-writes counts every write ------------------------------------------------


def test_creating_the_bundle_release_counts_against_max_writes(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(
        seed(
            releases=[
                release(
                    "v1.0.0",
                    immutable=True,
                    body="Immutable notes",
                    published_at="2025-11-01T00:00:00Z",
                    assets=[asset("w-1.0.0.whl", "one", digest="auto")],
                )
            ]
        )
    )
    path, planned = plan(sb, tmp_path, "--bundle-release", "sigstore-bundles")
    needed = planned["estimate"]["writes"]
    # the bundle release itself, the bundle, the attestation, the notes
    assert needed == 4
    short = apply(sb, path, planned["plan_digest"], tmp_path / "s1", "--max-writes", "3")
    assert short.exit_code == 2, short.output
    assert sb.writes() == []
    result = apply(sb, path, planned["plan_digest"], tmp_path / "s2", "--max-writes", "4")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["complete"] is True
    assert report["writes"] == len(sb.writes()) == needed


def test_a_stale_bundle_replaced_counts_its_delete(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(
        seed(
            releases=[
                release(
                    "v2.0.0",
                    published_at="2025-11-01T00:00:00Z",
                    assets=[
                        asset("w-2.0.0.whl", "two", digest="auto"),
                        asset("w-2.0.0.whl.sigstore.json", '{"not": "a bundle"}'),
                    ],
                )
            ]
        )
    )
    path, planned = plan(sb, tmp_path, "--verify-existing")
    # the delete, the bundle, the attestation, the notes
    assert planned["estimate"]["writes"] == 4
    short = apply(sb, path, planned["plan_digest"], tmp_path / "s1", "--max-writes", "3")
    assert short.exit_code == 2, short.output
    assert "v2.0.0 alone needs 4 writes" in short.stderr
    assert sb.writes() == []
    result = apply(sb, path, planned["plan_digest"], tmp_path / "s2", "--max-writes", "4")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["complete"] is True
    assert report["writes"] == len(sb.writes()) == 4


# -- 3: limits no run could progress under ---------------------------------------------


def test_max_writes_below_one_release_is_a_usage_error(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(releases_seed(1, 3))
    path, planned = plan(sb, tmp_path)
    tree = sb.tree_size()
    result = apply(sb, path, planned["plan_digest"], tmp_path / "s", "--max-writes", "4")
    assert result.exit_code == 2, result.output
    assert "v1.0.0 alone needs 5 writes, more than --max-writes 4" in result.stderr
    assert "hint: raise --max-writes" in result.stderr
    assert sb.writes() == [] and sb.tree_size() == tree  # nothing signed


def test_a_deadline_shorter_than_one_release_is_a_usage_error(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(releases_seed(1, 1))
    path, planned = plan(sb, tmp_path)
    result = run(sb, path, planned["plan_digest"], tmp_path / "s", "--deadline", "1h",
                 CHAINKIT_WRITE_BUDGET="1/1h")  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "v1.0.0 alone needs 3 writes, at least 2 h 0 min" in result.stderr
    assert sb.writes() == []


# -- 4: the writes counted, 5xx of writes ----------------------------------------------


def test_refusals_are_not_counted_as_writes(sandbox_factory: Any, tmp_path: Path) -> None:
    limits = {"content": [{"requests": 3, "window_s": 2}], "status": 429, "retry_after": 1}
    sb: FullSandbox = sandbox_factory(releases_seed(2, 1, **limits))
    path, planned = plan(sb, tmp_path)
    result = run(sb, path, planned["plan_digest"], tmp_path / "s", CHAINKIT_WRITE_BUDGET="100/1s")
    assert result.exit_code == 0, result.output
    assert stats(sb)["refused"] >= 1
    assert json.loads(result.stdout)["writes"] == stats(sb)["admitted"] == 6


def test_a_5xx_edit_is_retried_as_a_paced_and_counted_write(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(releases_seed(1, 1))
    path, planned = plan(sb, tmp_path)
    sb.admin("POST", "faults", json={"method": "PATCH", "path": "/releases/", "status": 502,
                                     "times": 2})  # fmt: skip
    result = apply(sb, path, planned["plan_digest"], tmp_path / "s")
    assert result.exit_code == 0, result.output
    writes = [(w["method"], w["status"]) for w in sb.writes()]
    assert writes.count(("PATCH", 502)) == 2
    assert json.loads(result.stdout)["writes"] == len(writes) == 5
    assert "failed (502); retrying in" in result.stderr


def test_a_5xx_upload_is_retried_with_its_whole_body(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(releases_seed(1, 1))
    path, planned = plan(sb, tmp_path)
    sb.admin("POST", "faults", json={"method": "POST", "path": "/uploads/", "status": 502,
                                     "times": 1})  # fmt: skip
    result = apply(sb, path, planned["plan_digest"], tmp_path / "s")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["signed"] == 1
    assert json.loads(result.stdout)["writes"] == len(sb.writes()) == 4
    names = [a.name for a in sb.releases()["v1.0.0"].get_assets()]
    assert names.count("w0-1.0.0.whl.sigstore.json") == 1


def test_a_5xx_create_is_not_retried(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(releases_seed(1, 1))
    path, planned = plan(sb, tmp_path, "--home", "attestations")
    sb.admin("POST", "faults", json={"method": "POST", "path": "/attestations", "status": 502,
                                     "times": 1})  # fmt: skip
    result = apply(sb, path, planned["plan_digest"], tmp_path / "s")
    assert result.exit_code == 3, result.output
    creates = [w for w in sb.writes() if w["method"] == "POST"]
    assert len(creates) == 1  # the create that may have happened is not sent again
    # the re-run finds what exists and finishes
    again = apply(sb, path, planned["plan_digest"], tmp_path / "s")
    assert again.exit_code == 0, again.output


# -- 5, 6: hostile values --------------------------------------------------------------

SECONDARY = (
    "You have exceeded a secondary rate limit and have been temporarily blocked from "
    "content creation. Please retry your request again later."
)


def test_a_non_ascii_retry_after_is_no_crash(
    sandbox_factory: Any, tmp_path: Path, client_settings: Any
) -> None:
    # the "at least a minute" fallback, scaled to 1 s (same logic, no minute of waiting)
    client_settings(secondary_rate_wait=1.0)
    sb: FullSandbox = sandbox_factory(releases_seed(1, 1))
    path, planned = plan(sb, tmp_path)
    sb.admin("POST", "faults", json={"method": "POST", "path": "/uploads/", "status": 403,
             "headers": {"retry-after": "\u00b2"}, "body": {"message": SECONDARY}})  # fmt: skip
    result = apply(sb, path, planned["plan_digest"], tmp_path / "s", "--max-writes", "3")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["complete"] is True
    # "\u00b2" is no number of seconds: the fallback wait (scaled), not a crash or none
    assert "with a rate limit (403); waiting 1 s, then retry 1" in result.output


def test_a_budget_window_beyond_a_day_is_a_usage_error(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(releases_seed(1, 1))
    path, planned = plan(sb, tmp_path)
    result = run(sb, path, planned["plan_digest"], tmp_path / "s",
                 CHAINKIT_WRITE_BUDGET="1/9999999h")  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "out of range" in result.stderr and "hint:" in result.stderr
    assert sb.writes() == []


def test_retry_after_zero_is_not_retry_now(
    sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    monkeypatch.setattr("chainkit.github._client.REFUSAL_FLOOR", 0.2)
    monkeypatch.setattr("chainkit.github._budget._sleep", sleep)
    limits = {"content": [{"requests": 1, "window_s": 1}], "retry_after": 0}
    sb: FullSandbox = sandbox_factory(releases_seed(1, 1, **limits))
    path, planned = plan(sb, tmp_path)
    result = run(sb, path, planned["plan_digest"], tmp_path / "s", CHAINKIT_WRITE_BUDGET="100/1s")
    assert result.exit_code == 0, result.output
    refused = stats(sb)["refused"]
    assert refused >= 1
    # every refusal was followed by a wait of at least the floor, none by "retry now"
    assert len(slept) >= refused
    assert min(slept) > 0.15  # the floor, less the moment between refusal and wait
