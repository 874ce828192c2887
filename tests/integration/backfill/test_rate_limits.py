"""Rate limits and transient failures during ``chainkit backfill apply``.

Faults are injected through the GitHub stand-in's admin API; chainkit's client must
retry them (PATCH included), honour ``retry-after`` and ``x-ratelimit-reset``, and
still leave exactly the right end state: every bundle uploaded once, notes written.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import requests

from _plugins.sandbox import FullSandbox, asset, release
from _plugins.sandbox import seed as sandbox_seed

TAGS = ("v1.0.0", "v1.1.0")
SECONDARY = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before "
    "you try again.",
    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
}


def seed() -> dict[str, Any]:
    return sandbox_seed(
        releases=[
            release(
                tag,
                body="Release notes",
                published_at=f"202{i}-01-01T00:00:00Z",
                assets=[asset(f"w-{tag}.whl", f"wheel {tag}", digest="auto")],
            )
            for i, tag in enumerate(TAGS)
        ]
    )


def plan_and_args(sb: FullSandbox, tmp_path: Path) -> list[str]:
    plan = tmp_path / "plan.json"
    result = sb.chainkit(
        "backfill", "plan", "--repo", "acme/widgets", "-o", str(plan), "--json",
        env=sb.env(token="read"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    digest = json.loads(result.stdout)["plan_digest"]
    return [
        "backfill", "apply", "--plan", str(plan), "--expect-digest", digest,
        "--identity-token", sb.identity_token(), "--state-dir", str(tmp_path / "state"),
        "--yes", "--json",
    ]  # fmt: skip


def fault(sb: FullSandbox, **spec: Any) -> None:
    answer = sb.admin("POST", "faults", json=spec)
    assert answer.status_code == 201, answer.text


def assert_finished(sb: FullSandbox, report: dict[str, Any]) -> None:
    assert report["ok"] is True
    assert report["summary"]["signed"] == len(TAGS)
    log = sb.requests_log()
    uploads = Counter(
        (r["path"], parse_qs(r["query"])["name"][0])
        for r in log
        if r["kind"] == "upload" and r["status"] == 201
    )
    assert len(uploads) == 2 * len(TAGS) and set(uploads.values()) == {1}
    edits = [r for r in log if r["kind"] == "update-release" and r["status"] == 200]
    assert len(edits) == len(TAGS)
    headers = {"Authorization": f"token {sb.info.token}"}
    for rel in requests.get(
        f"{sb.api_url}/repos/acme/widgets/releases", headers=headers, timeout=30
    ).json():
        assert "<!-- chainkit:backfill -->" in rel["body"]
        names = {a["name"] for a in rel["assets"]}
        assert f"w-{rel['tag_name']}.whl.sigstore.json" in names


def test_apply_retries_5xx_secondary_limits_and_429(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(seed())
    args = plan_and_args(sb, tmp_path)
    fault(sb, method="PATCH", path=r"/releases/\d+$", status=502, body={"message": "Bad Gateway"})
    fault(
        sb, method="POST", path=r"^/uploads/", status=403, headers={"retry-after": "1"},
        body=SECONDARY,
    )  # fmt: skip
    fault(
        sb, method="GET", path=r"/releases/\d+$", status=429, headers={"retry-after": "1"},
        body={"message": "Too Many Requests"},
    )  # fmt: skip
    fault(sb, method="GET", path=r"^/storage/", status=503, body="Service Unavailable")
    sb.clear_requests()

    result = sb.chainkit(*args)
    assert result.exit_code == 0, result.output
    assert sb.admin("GET", "faults").json() == []  # every fault was served
    log = sb.requests_log()
    faulted = [(r["method"], r["kind"], r["status"]) for r in log if r["fault"]]
    assert sorted(faulted) == sorted(
        [
            ("PATCH", "update-release", 502),
            ("POST", "upload", 403),
            ("GET", "get-release", 429),
            ("GET", "storage", 503),
        ]
    )
    # each faulted request was retried and then succeeded
    for r in (r for r in log if r["fault"]):
        later = [x for x in log if x["seq"] > r["seq"] and x["path"] == r["path"]]
        assert later and later[0]["method"] == r["method"] and later[0]["status"] < 400
    assert_finished(sb, json.loads(result.stdout))


def test_apply_waits_for_an_exhausted_primary_limit(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(seed())
    args = plan_and_args(sb, tmp_path)
    reset = int(time.time()) + 2
    fault(
        sb, method="POST", path=r"^/uploads/", status=403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
        body={"message": "API rate limit exceeded for installation ID 1."},
    )  # fmt: skip
    sb.clear_requests()
    started = time.time()
    result = sb.chainkit(*args)
    assert result.exit_code == 0, result.output
    assert time.time() >= reset - 1  # waited for the reset instead of hammering
    # ... and not the one-minute fallback for a refusal that names no reset
    assert time.time() - started < 30, result.output
    assert "waiting 60 s" not in result.output
    assert [r["status"] for r in sb.requests_log() if r["fault"]] == [403]
    assert_finished(sb, json.loads(result.stdout))


def test_a_primary_reset_far_away_stops_apply_at_once(sandbox_factory: Any, tmp_path: Path) -> None:
    # review 9, break 1: the reset (a 10-digit Unix time) was ignored for writes: apply
    # waited 60 s and retried instead of refusing a wait of 50 minutes (exit 3)
    sb: FullSandbox = sandbox_factory(seed())
    args = plan_and_args(sb, tmp_path)
    fault(
        sb, method="POST", path=r"^/uploads/", status=403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 3000)},
        body={"message": "API rate limit exceeded for installation ID 1."},
    )  # fmt: skip
    sb.clear_requests()
    started = time.monotonic()
    result = sb.chainkit(*args)
    assert result.exit_code == 3, result.output
    assert time.monotonic() - started < 30
    assert "waiting 1 min" not in result.stderr
    assert [r["status"] for r in sb.requests_log() if r["fault"]] == [403]


def test_lasting_failure_stops_with_a_service_error_and_resumes(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(seed())
    args = plan_and_args(sb, tmp_path)
    # a secondary limit that never lifts (retry-after keeps the test fast; a lasting 5xx
    # takes the same path after exponential backoff)
    fault(
        sb, method="PATCH", path=r"/releases/\d+$", status=403, headers={"retry-after": "1"},
        body=SECONDARY, times=None,
    )  # fmt: skip
    # refusals are retried until the budget's longest window has passed: a 2 s budget
    # (github.com's is an hour) gives up within seconds
    result = sb.chainkit(*args, "--write-budget", "100/2s")
    assert result.exit_code == 3, result.output
    assert "re-run" in result.stderr
    sb.admin("DELETE", "faults")
    sb.clear_requests()
    result = sb.chainkit(*args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    # the newest release's bundle and attestation were already up: not uploaded again
    results = {(o["release"], o["kind"]): o["result"] for o in report["outcomes"]}
    assert results[(TAGS[1], "asset")] == "done"
    assert results[(TAGS[1], "attestation")] == "done"
    assert results[(TAGS[0], "asset")] == "signed"
    log = sb.requests_log()
    uploaded = [r["path"] for r in log if r["kind"] == "upload"]
    assert len(uploaded) == 2 and len(set(uploaded)) == 1  # the older release's two only
    edits = [r for r in log if r["kind"] == "update-release" and r["status"] == 200]
    assert len(edits) == len(TAGS)


def test_write_interval_spaces_writes(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(seed())
    args = plan_and_args(sb, tmp_path)
    interval = 0.25
    sb.clear_requests()
    started = time.monotonic()
    result = sb.chainkit(*args, env=sb.env(CHAINKIT_WRITE_INTERVAL=str(interval)))
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    writes = [r for r in sb.requests_log() if r["method"] not in {"GET", "HEAD"}]
    assert len(writes) == 3 * len(TAGS)  # bundle, attestation, notes per release
    # a lower bound only: n writes need at least (n - 1) intervals between them
    assert elapsed >= (len(writes) - 1) * interval
