"""Kill ``chainkit backfill apply`` at each failpoint, re-run it, compare with a clean run.

The apply runs as a separate process with ``CHAINKIT_FAILPOINT`` (it exits 86 at that
point); the re-run without it must leave exactly the state an uninterrupted run leaves
on an identical fresh sandbox, with no duplicate uploads and nothing signed twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from github import Auth, Github

from _plugins.sandbox import FullSandbox, asset, release, seed
from integration.backfill._flow import REVIEWED

NOTES_BEFORE = "## Changes\r\n\r\n* fixed a bug\r\n\r\n"
NOTES_AFTER = "\r\n\r\nThanks!\r\n"
SIGNED_ASSETS = 5  # 2 + 3 assets to sign
ATTESTATIONS = 2


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def small_seed() -> dict[str, Any]:
    wheel, sdist = b"wheel 1.0", b"sdist 1.0"
    sums = f"{_sha(wheel)}  widgets-1.0.0-py3-none-any.whl\n{_sha(sdist)} *widgets-1.0.0.tar.gz\n"
    return seed(
        environments=[REVIEWED],
        releases=[
            release(
                "v1.0.0",
                body=NOTES_BEFORE + NOTES_AFTER,
                published_at="2020-01-01T00:00:00Z",
                assets=[
                    asset("widgets-1.0.0-py3-none-any.whl", wheel, digest=None),
                    asset("widgets-1.0.0.tar.gz", sdist, digest=None),
                    asset("SHA256SUMS", sums, digest="auto"),
                ],
            ),
            release(
                "v1.1.0",
                body="Release notes",
                published_at="2021-01-01T00:00:00Z",
                assets=[
                    asset("widgets-1.1.0-py3-none-any.whl", "w11"),
                    asset("widgets-1.1.0.tar.gz", "s11"),
                ],
            ),
        ],
    )


def make_plan(sb: FullSandbox, path: Path) -> str:
    result = sb.chainkit(
        "backfill", "plan", "--repo", "acme/widgets", "-o", str(path), "--json",
        env=sb.env(token="read"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    digest: str = json.loads(result.stdout)["plan_digest"]
    return digest


_PLAN_TIME = re.compile(r"\d{8}T\d{6}Z")  # in attestation names: when the plan was made


def _norm(sb: FullSandbox, text: str) -> str:
    return _PLAN_TIME.sub("PLAN-TIME", text.replace(sb.api_url, "BASE"))


def end_state(sb: FullSandbox) -> dict[str, Any]:
    """Releases as a comparable value: asset names (and sizes of non-bundles), notes."""
    gh = Github(base_url=sb.api_url, auth=Auth.Token(sb.info.token), retry=None)
    state: dict[str, Any] = {}
    for rel in gh.get_repo("acme/widgets").get_releases():
        assets = sorted(
            (_norm(sb, a.name), a.size if not a.name.endswith(".sigstore.json") else None)
            for a in rel.get_assets()
        )
        body = _norm(sb, rel.body or "")
        state[rel.tag_name] = {"assets": assets, "body": body, "draft": rel.draft}
    return state


def uploads_by_name(sb: FullSandbox) -> Counter[tuple[str, str]]:
    """Successful uploads per (release upload path, asset name)."""
    return Counter(
        (r["path"], _norm(sb, parse_qs(r["query"])["name"][0]))
        for r in sb.requests_log()
        if r["kind"] == "upload" and r["status"] == 201
    )


def journal_steps(sb: FullSandbox, state: Path) -> list[tuple[Any, ...]]:
    (path,) = state.glob("*/journal.jsonl")
    steps = []
    for line in path.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        steps.append(
            tuple(
                _norm(sb, v) if isinstance(v := event.get(k), str) else v
                for k in ("step", "asset_id", "release_id", "sha256", "bundle_name", "name")
            )
        )
    return steps


@pytest.fixture
def reference(sandbox_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An uninterrupted run on a fresh sandbox."""
    tmp = tmp_path_factory.mktemp("reference")
    sb: FullSandbox = sandbox_factory(small_seed())
    digest = make_plan(sb, tmp / "plan.json")
    result = sb.chainkit(*sb.apply_args(tmp / "plan.json", digest, tmp / "state"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"]["signed"] == SIGNED_ASSETS
    return {
        "state": end_state(sb),
        "uploads": uploads_by_name(sb),
        "journal": journal_steps(sb, tmp / "state"),
        "tree_size": sb.tree_size(),
    }


@pytest.mark.parametrize("point", ["after-download", "after-sign", "after-upload", "before-notes"])
def test_kill_and_resume_equals_uninterrupted(
    point: str, reference: dict[str, Any], sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(small_seed())
    plan = tmp_path / "plan.json"
    digest = make_plan(sb, plan)
    state = tmp_path / "state"
    args = sb.apply_args(plan, digest, state)

    killed = sb.chainkit_process(*args, env=sb.env(CHAINKIT_FAILPOINT=point))
    assert killed.returncode == 86, killed.stderr
    assert f"failpoint {point}" in killed.stderr
    signed_before = sb.tree_size()
    assert signed_before == {"after-download": 0, "after-sign": 1, "after-upload": 1}.get(
        point,
        3,  # before-notes: the newest release's two bundles and its attestation
    )

    resumed = sb.chainkit_process(*sb.apply_args(plan, digest, state))
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads(resumed.stdout)
    assert report["ok"] is True

    # the end state equals an uninterrupted run's
    assert end_state(sb) == reference["state"]
    assert journal_steps(sb, state) == reference["journal"]
    # no duplicate uploads: one successful upload per bundle name, as in the clean run
    uploads = uploads_by_name(sb)
    assert uploads == reference["uploads"]
    assert max(uploads.values()) == 1
    assert len(uploads) == SIGNED_ASSETS + ATTESTATIONS
    # nothing signed twice: the transparency log holds as many entries as a clean run's
    assert sb.tree_size() == reference["tree_size"] == SIGNED_ASSETS + ATTESTATIONS
    assert report["certificates"] <= 1

    # a second apply of the finished plan: zero writes, nothing signed
    sb.clear_requests()
    again = sb.chainkit(*sb.apply_args(plan, digest, state))
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["certificates"] == 0
    assert sb.writes() == []
    assert sb.tree_size() == reference["tree_size"]


def test_finished_repository_needs_no_writes(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(small_seed())
    plan = tmp_path / "plan.json"
    digest = make_plan(sb, plan)
    result = sb.chainkit(*sb.apply_args(plan, digest, tmp_path / "state"))
    assert result.exit_code == 0, result.output
    finished = end_state(sb)
    signed = sb.tree_size()

    # a fresh --state-dir with the same plan: our valid bundles are adopted, not re-signed
    sb.clear_requests()
    result = sb.chainkit(*sb.apply_args(plan, digest, tmp_path / "fresh-state"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"]["done"] == SIGNED_ASSETS
    assert report["summary"]["signed"] == 0
    assert report["certificates"] == 0
    assert sb.writes() == []
    assert sb.tree_size() == signed
    assert end_state(sb) == finished
    adopted = [
        json.loads(line)
        for line in next((tmp_path / "fresh-state").glob("*/journal.jsonl"))
        .read_text()
        .splitlines()
    ]
    assert sum(1 for e in adopted if e.get("adopted")) == SIGNED_ASSETS + ATTESTATIONS

    # a new plan on the finished repository: nothing to do, zero writes
    plan2 = tmp_path / "plan2.json"
    digest2 = make_plan(sb, plan2)
    assert json.loads(plan2.read_text())["summary"]["actions"]["sign"] == 0
    sb.clear_requests()
    result = sb.chainkit(*sb.apply_args(plan2, digest2, tmp_path / "state2"))
    assert result.exit_code == 0, result.output
    assert sb.writes() == []
    assert not any(r["kind"] in {"download", "storage"} for r in sb.requests_log())
    assert sb.tree_size() == signed
    assert end_state(sb) == finished
