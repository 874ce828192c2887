"""``backfill apply`` under seeded sandbox faults (docs/sandbox.md, 'Faults').

Each test injects one kind of fault, deterministically (``times``/``every`` rules, no
random draw), and checks that apply finishes - at once or on a re-run - with the state an
uninterrupted run leaves. The last tests are regression tests of bugs the soak
(``benchmarks/soak.py``) found in ``backfill``/``github``: a ``starter`` asset left by a
failed upload, a download cut mid-body, a primary rate limit on a download.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from _plugins.sandbox import FullSandbox, asset, release, seed
from chainkit.sandbox._fault_plan import parse_fault_spec

ROOT = Path(__file__).resolve().parents[3]


def _seed() -> dict[str, Any]:
    files = {"widgets-1.0.0-py3-none-any.whl": "wheel " * 50, "widgets-1.0.0.tar.gz": "sd " * 50}
    sums = "".join(f"{hashlib.sha256(c.encode()).hexdigest()}  {n}\n" for n, c in files.items())
    return seed(
        releases=[
            release(
                "v1.0.0",
                body="Notes\n",
                assets=[
                    *(asset(n, c, digest=None) for n, c in files.items()),
                    asset("SHA256SUMS", sums, digest="auto"),
                ],
            )
        ]
    )


@pytest.fixture
def faulted(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> Iterator[Callable[..., tuple[FullSandbox, list[str]]]]:
    """``faulted(*rules)``: a planned sandbox with ``rules`` installed; apply's arguments."""
    made: list[FullSandbox] = []

    def make(*rules: dict[str, Any]) -> tuple[FullSandbox, list[str]]:
        sb = sandbox_factory(_seed())
        made.append(sb)
        plan = tmp_path / "plan.json"
        result = sb.plan(plan)
        assert result.exit_code == 0, result.output
        digest = json.loads(plan.read_text())["plan_digest"]
        sb.sandbox.faults.replace(parse_fault_spec({"seed": 1, "rules": list(rules)}, source="t"))
        return sb, sb.apply_args(plan, digest, tmp_path / "state")

    yield make
    for sb in made:
        # A `starter` asset is off the OpenAPI enum of `state` (GitHub's own text has it,
        # BEHAVIOR.md section 3); the stand-in's answers are checked elsewhere.
        sb.observed.clear()


def _converged(sb: FullSandbox) -> None:
    """Exactly the three bundles (SHA256SUMS is signed too) and the attestation were added."""
    rel = sb.releases()["v1.0.0"]
    states = sorted((a.name, a.state) for a in rel.get_assets())
    names = [n for n, _ in states]
    assert all(s == "uploaded" for _, s in states), states
    assert sum(n.endswith(".sigstore.json") for n in names) == 4, names
    assert len(names) == len(set(names)) == 7


@pytest.mark.parametrize(
    "rule",
    [
        {"method": "POST", "path": "^/uploads/", "status": 502, "times": 1},
        {"method": "POST", "path": "^/uploads/", "cut_body_after_bytes": 40, "times": 1},
        {"method": "PATCH", "secondary_limit": True, "retry_after": 0, "times": 1},
        {"method": "GET", "path": "^/repos/", "status": 503, "times": 2},
        {"latency_ms": 1, "every": 2},
    ],
    ids=["upload-502", "upload-cut", "secondary-limit", "get-503", "latency"],
)
def test_apply_rides_out_the_fault_in_one_run(
    faulted: Callable[..., tuple[FullSandbox, list[str]]], rule: dict[str, Any]
) -> None:
    sb, args = faulted(rule)
    result = sb.chainkit(*args)
    assert result.exit_code == 0, result.output
    assert sum(sb.sandbox.faults.describe()["injected"].values()) >= 1
    _converged(sb)
    assert sb.tree_size() == 4


@pytest.mark.parametrize(
    "rule",
    [
        # as often as one request is tried (two retries, RETRY_WAITS): a service error
        {"service": "fulcio", "method": "POST", "status": 502, "times": 3},
        {"service": "rekor", "method": "POST", "status": 503, "times": 3},
        # cut as often as one download is tried (DOWNLOAD_ATTEMPTS): a service error
        {"method": "GET", "path": "^/storage/", "cut_body_after_bytes": 3, "times": 3},
    ],
    ids=["fulcio-502", "rekor-503", "download-cut-every-attempt"],
)
def test_apply_fails_then_a_rerun_finishes(
    faulted: Callable[..., tuple[FullSandbox, list[str]]], rule: dict[str, Any]
) -> None:
    sb, args = faulted(rule)
    first = sb.chainkit(*args)
    assert first.exit_code == 3, first.output
    again = sb.chainkit(*args)
    assert again.exit_code == 0, again.output
    _converged(sb)
    assert sb.tree_size() <= 5  # at most one signature made by the failed run


def test_fulcio_5xx_is_reported_with_its_detail(
    faulted: Callable[..., tuple[FullSandbox, list[str]]],
) -> None:
    sb, args = faulted({"service": "fulcio", "method": "POST", "status": 502, "times": 3})
    result = sb.chainkit(*args)
    assert result.exit_code == 3, result.output
    assert "the certificate authority refused or failed: 502" in result.output
    assert "retrying in 0.4 s (2 of 2)" in result.output  # each retry said, then given up


def test_starter_asset_of_a_failed_bundle_upload_is_replaced(
    faulted: Callable[..., tuple[FullSandbox, list[str]]],
) -> None:
    """In the run: the retried upload meets 422, finds the `starter` asset, deletes it."""
    sb, args = faulted({"method": "POST", "path": "^/uploads/", "starter_then_502": True,
                        "times": 1})  # fmt: skip
    result = sb.chainkit(*args)
    assert result.exit_code == 0, result.output
    assert sb.sandbox.faults.describe()["injected"] == {"github:starter_then_502": 1}
    assert "left over from a failed upload (state 'starter'" in result.output
    _converged(sb)
    assert sb.tree_size() == 4


def test_starter_asset_left_by_an_earlier_run_is_replaced(
    faulted: Callable[..., tuple[FullSandbox, list[str]]], client_settings: Any
) -> None:
    """A `starter` asset the failed run could not delete (GitHub kept failing) is deleted
    by the next run, which uploads the bundle again; nothing else is deleted."""
    client_settings(backoff=0.01)  # six retries in about a second instead of a minute
    sb, args = faulted(
        {"method": "POST", "path": "^/uploads/", "starter_then_502": True, "times": 1},
        {"method": "DELETE", "status": 503, "times": 20},
    )
    first = sb.chainkit(*args)
    assert first.exit_code == 3, first.output
    starters = [a.name for a in sb.releases()["v1.0.0"].get_assets() if a.state == "starter"]
    assert len(starters) == 1, starters
    sb.sandbox.faults.replace(parse_fault_spec({"seed": 1, "rules": []}, source="t"))
    again = sb.chainkit(*args)
    assert again.exit_code == 0, again.output
    assert f"{starters[0]!r} is left over from a failed upload" in again.output
    _converged(sb)


def test_upload_given_up_after_a_starter_deletes_it(
    faulted: Callable[..., tuple[FullSandbox, list[str]]], client_settings: Any
) -> None:
    """An upload that leaves a `starter` asset and then keeps failing (5xx until the retries
    run out) deletes the asset before the run stops, so that nothing partial is left."""
    client_settings(backoff=0.01)  # six retries in about a second instead of a minute
    sb, args = faulted(
        {"method": "POST", "path": "^/uploads/", "starter_then_502": True, "times": 1},
        {"method": "POST", "path": "^/uploads/", "status": 502, "times": 30},
    )
    first = sb.chainkit(*args)
    assert first.exit_code == 3, first.output
    assert "left over from a failed upload (state 'starter'" in first.output
    assert [a.name for a in sb.releases()["v1.0.0"].get_assets() if a.state != "uploaded"] == []
    sb.sandbox.faults.replace(parse_fault_spec({"seed": 1, "rules": []}, source="t"))
    again = sb.chainkit(*args)
    assert again.exit_code == 0, again.output
    _converged(sb)


def test_uploaded_bundle_with_bad_content_is_still_refused(
    faulted: Callable[..., tuple[FullSandbox, list[str]]],
) -> None:
    """Only `starter` assets are debris: an `uploaded` one under a bundle's name that is
    not a bundle stays, reported as drift (someone else's file)."""
    sb, args = faulted()
    rel = sb.releases()["v1.0.0"]
    name = "widgets-1.0.0.tar.gz.sigstore.json"
    rel.upload_asset_from_memory(b"", 0, name=name, content_type="application/json")
    result = sb.chainkit(*args)
    assert result.exit_code == 1, result.output
    assert "appeared since the plan" in result.output
    assert [a.state for a in sb.releases()["v1.0.0"].get_assets() if a.name == name] == ["uploaded"]


def test_cut_download_is_downloaded_again(
    faulted: Callable[..., tuple[FullSandbox, list[str]]],
) -> None:
    sb, args = faulted({"method": "GET", "path": "^/storage/", "cut_body_after_bytes": 3,
                        "times": 1})  # fmt: skip
    result = sb.chainkit(*args)
    assert result.exit_code == 0, result.output
    assert "internal error" not in result.output
    assert "the connection was cut mid-body after" in result.output
    assert "downloading again from byte 0 (attempt 2 of 3)" in result.output
    _converged(sb)
    assert sb.tree_size() == 4


def test_cut_download_every_attempt_is_a_service_error(
    faulted: Callable[..., tuple[FullSandbox, list[str]]],
) -> None:
    sb, args = faulted({"method": "GET", "path": "^/storage/", "cut_body_after_bytes": 3,
                        "every": 1})  # fmt: skip
    result = sb.chainkit(*args)
    assert result.exit_code == 3, result.output
    assert "internal error" not in result.output
    assert "the connection was cut mid-body 3 times in a row" in result.output


def test_primary_limit_on_download_is_a_rate_limit(
    faulted: Callable[..., tuple[FullSandbox, list[str]]],
) -> None:
    sb, args = faulted({"method": "GET", "path": "^/repos/.*/assets/", "primary_exhausted": True,
                        "retry_after": 0, "times": 1})  # fmt: skip
    result = sb.chainkit(*args)
    assert result.exit_code == 0, result.output
    assert "forbidden" not in result.output
    assert "rate limit is exhausted (403); waiting" in result.output
    assert sb.sandbox.faults.describe()["injected"] == {"github:primary_exhausted": 1}
    _converged(sb)
    assert sb.tree_size() == 4


def test_primary_limit_on_download_beyond_the_wait_cap_is_exit_3(
    faulted: Callable[..., tuple[FullSandbox, list[str]]],
) -> None:
    sb, args = faulted({"method": "GET", "path": "^/repos/.*/assets/", "primary_exhausted": True,
                        "retry_after": 7200, "times": 1})  # fmt: skip
    result = sb.chainkit(*args)
    assert result.exit_code == 3, result.output
    assert "forbidden" not in result.output
    assert "rate limit is exhausted (403); it resets in" in result.output


def test_small_soak_with_kills(tmp_path: Path) -> None:
    """``benchmarks/soak.py`` at a small size: every fault kind (starters too), SIGKILLs."""
    out = tmp_path / "soak.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "soak.py"), "--releases", "2", "--assets",
         "2", "--kills", "2", "--kill-window", "0.4", "1.2", "--seed", "7",
         "--max-runs", "25", "--workdir", str(tmp_path), "--output", str(out)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["finished"] is True
    assert report["items_lost"] == 0
    assert report["invariants_failed"] == []
    assert report["extra_signatures"] >= 0
    assert report["runs"] == report["reruns_needed"] + 1 >= 1


@pytest.mark.parametrize(
    "rule",
    [
        {"service": "tsa", "method": "POST", "status": 500, "times": 1},
        {"service": "rekor", "method": "POST", "status": 503, "times": 1},
        {"service": "fulcio", "method": "POST", "status": 502, "times": 1},
    ],
    ids=["tsa-500-once", "rekor-503-once", "fulcio-502-once"],
)
def test_a_passing_sigstore_5xx_is_retried_in_the_run(
    faulted: Callable[..., tuple[FullSandbox, list[str]]], rule: dict[str, Any]
) -> None:
    """One 5xx of Fulcio, Rekor or the TSA is retried (logged, bounded) within the run:
    no failed run, no extra transparency-log entry (the fault answers before the entry)."""
    sb, args = faulted(rule)
    result = sb.chainkit(*args)
    assert result.exit_code == 0, result.output
    assert "retrying in" in result.output
    assert sum(sb.sandbox.faults.describe()["injected"].values()) == 1
    _converged(sb)
    assert sb.tree_size() == 4


def test_a_lasting_tsa_500_is_a_service_failure(
    faulted: Callable[..., tuple[FullSandbox, list[str]]],
) -> None:
    """A timestamp authority that keeps failing is exit 3 (a tool/network failure), never a
    bundle without its timestamp, and nothing reaches the transparency log."""
    sb, args = faulted({"service": "tsa", "method": "POST", "status": 500, "times": 20})
    result = sb.chainkit(*args)
    assert result.exit_code == 3, result.output
    assert "timestamp authority" in result.output
    assert sb.tree_size() == 0
    assert sb.writes() == []
