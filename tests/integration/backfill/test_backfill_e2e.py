"""Backfill end to end: plan, apply, verify on a large seeded repository.

The real PyGithub (inside chainkit) and the real sigstore-python talk HTTP to the
sandbox; the real ``sigstore`` CLI verifies the published bundles independently.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from _plugins.sandbox import ISSUER, FullSandbox, asset, release, seed
from integration.backfill._flow import REVIEWED

pytestmark = pytest.mark.slow

RELEASES = 120
TAMPERED_TAG = "v1.7.0"  # GitHub's digest and SHA256SUMS disagree: blocked in the plan
SWAPPED_TAG = "v1.6.0"  # no digest, SHA256SUMS disagrees with the bytes: blocked at apply
IMMUTABLE_TAG = "v1.8.0"
DRAFT_TAG = "v9.9.9"
NOTES_TAG = "v1.9.0"
UNICODE_TAG = "v1.10.0"
UNICODE_NAME = "widgets 1.10 ünïcode build.whl"
NOTES_BEFORE = "## Changes\r\n\r\n* fixed a bug\r\n\r\n"
NOTES_AFTER = "\r\n\r\nThanks to all contributors!\r\n"
OLD_SECTION = "<!-- chainkit:backfill -->\nold text\n<!-- /chainkit:backfill -->"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def big_seed() -> dict[str, Any]:
    releases: list[dict[str, Any]] = []
    for i in range(RELEASES):
        tag = f"v1.{i}.0"
        wheel = f"widgets-1.{i}.0-py3-none-any.whl"
        sdist = f"widgets-1.{i}.0.tar.gz"
        wheel_bytes = f"wheel {i}".encode()
        sdist_bytes = f"sdist {i}".encode()
        listed_sdist = sdist_bytes
        sdist_digest: str | None = None
        if tag in (TAMPERED_TAG, SWAPPED_TAG):
            listed_sdist = b"what the maintainer really built"
        if tag == TAMPERED_TAG:
            sdist_digest = "auto"
        if tag == UNICODE_TAG:
            wheel = UNICODE_NAME
        sums = f"{sha(wheel_bytes)}  {wheel}\n{sha(listed_sdist)} *{sdist}\n"
        body = "Release notes"
        if tag == NOTES_TAG:
            body = NOTES_BEFORE + OLD_SECTION + NOTES_AFTER
        releases.append(
            release(
                tag,
                body=body,
                immutable=tag == IMMUTABLE_TAG,
                published_at=f"{2015 + i // 12}-{(i % 12) + 1:02d}-01T00:00:00Z",
                assets=[
                    # pre-2025 assets: GitHub states no digest; SHA256SUMS is the evidence
                    asset(wheel, wheel_bytes.decode(), digest=None),
                    asset(sdist, sdist_bytes.decode(), digest=sdist_digest),
                    asset("SHA256SUMS", sums, digest="auto"),
                ],
            )
        )
    releases.append(
        release(
            DRAFT_TAG,
            draft=True,
            published_at=None,
            assets=[asset("draft.whl", "draft", digest="auto")],
        )
    )
    doc = seed(environments=[REVIEWED], releases=releases)
    doc["limits"] = {"content": SCALED_LIMITS}  # GitHub's limits, 60 times faster
    return doc


SCALED_LIMITS = [{"requests": 80, "window_s": 1}, {"requests": 500, "window_s": 60}]
SCALED_BUDGET = "80/1s,500/60s"


def test_plan_apply_verify_on_120_releases(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(big_seed())
    plan_file = tmp_path / "plan.json"

    # -- plan: read-only token, cheap -------------------------------------------------
    sb.clear_requests()
    result = sb.plan(plan_file)
    assert result.exit_code == 1, result.output  # one blocked asset is a finding
    out = json.loads(result.stdout)
    plan = json.loads(plan_file.read_text())
    assert out["plan_digest"] == plan["plan_digest"]
    log = sb.requests_log()
    assert all(r["method"] == "GET" for r in log)
    kinds = Counter(r["kind"] for r in log)
    assert kinds["list-releases"] == 2  # 121 releases at 100 a page
    assert kinds["list-tags"] == 2  # one listing of the tags' commits, 100 a page
    assert kinds["download"] == RELEASES  # the SHA256SUMS files, nothing else
    assert kinds.get("get-release", 0) == 0

    releases = {r["tag"]: r for r in plan["releases"]}
    assert DRAFT_TAG not in releases  # drafts need --include-drafts
    statuses = {(r["tag"], a["name"]): a["status"] for r in plan["releases"] for a in r["assets"]}
    assert statuses[(TAMPERED_TAG, "widgets-1.7.0.tar.gz")] == "blocked"
    assert statuses[(IMMUTABLE_TAG, "widgets-1.8.0.tar.gz")] == "immutable"
    assert statuses[(SWAPPED_TAG, "widgets-1.6.0.tar.gz")] == "sign"  # only apply can tell
    assert Counter(statuses.values())["sign"] == RELEASES * 3 - 1 - 3
    signed = RELEASES * 3 - 5

    # -- apply (locally: --yes; the identity comes from the sandbox's OIDC issuer) ---
    sb.clear_requests()
    result = sb.chainkit(
        *sb.apply_args(plan_file, plan["plan_digest"], tmp_path / "state"),
        env=sb.env(CHAINKIT_WRITE_BUDGET=SCALED_BUDGET),
    )
    assert result.exit_code == 1, result.output  # the swapped asset is a finding
    assert sb.admin("GET", "limits").json()["refused"] == 0  # paced, never over the limit
    report = json.loads(result.stdout)
    assert report["summary"]["signed"] == signed
    assert report["summary"]["blocked"] == 1
    assert report["certificates"] == 1
    log = sb.requests_log()
    kinds = Counter(r["kind"] for r in log)
    writes = [r for r in log if r["method"] != "GET"]
    # one per asset to sign (one then refused), and each checksum file once that is the
    # evidence of an asset without GitHub's digest (re-derived at apply, never trusted)
    rederived = {
        r["id"]
        for r in plan["releases"]
        for a in r["assets"]
        if a["action"] == "sign"
        and not any(e["source"] == "github-digest" for e in a["evidence"])
        and any(e["source"] == "checksum-file" for e in a["evidence"])
    }
    assert kinds["download"] == signed + 1 + len(rederived)
    assert kinds["list-tags"] == 2  # one listing per apply, not one request per release
    assert kinds["upload"] == signed + (RELEASES - 1)  # bundles + attestations
    assert kinds["update-release"] == RELEASES - 1  # one notes edit per release
    assert len(writes) == kinds["upload"] + kinds["update-release"]

    after = sb.releases()
    # the tampered asset is never signed
    for tag, sdist in ((TAMPERED_TAG, "widgets-1.7.0"), (SWAPPED_TAG, "widgets-1.6.0")):
        names = {a.name for a in after[tag].get_assets()}
        assert f"{sdist}.tar.gz.sigstore.json" not in names
        assert f"{sdist}-py3-none-any.whl.sigstore.json" in names
    # the immutable release took nothing; its notes are untouched
    assert not any(a.name.endswith(".sigstore.json") for a in after[IMMUTABLE_TAG].get_assets())
    # notes: text outside the section byte-for-byte, the section replaced
    body = after[NOTES_TAG].body
    assert body.startswith(NOTES_BEFORE) and body.endswith(NOTES_AFTER)
    assert "old text" not in body and "chainkit verify --repo acme/widgets" in body
    assert body.count("<!-- chainkit:backfill -->") == 1
    # the draft stays a draft and untouched
    assert after[DRAFT_TAG].draft is True

    # -- chainkit verify: passes, and fails for a wrong source repository -------------
    identity = sb.identity()
    result = sb.chainkit(
        "verify",
        "--repo",
        "acme/widgets",
        "--cert-identity",
        identity,
        "--cert-oidc-issuer",
        ISSUER,
        "--json",
    )
    # blocked and immutable assets stay unsigned: verify says so and fails
    assert result.exit_code == 1, result.output
    verified = json.loads(result.stdout)
    assert verified["summary"]["verified"] == signed
    assert verified["summary"]["unsigned"] == 5
    assert verified["summary"]["attestations"] == RELEASES - 1
    result = sb.chainkit(
        "verify",
        "--repo",
        "acme/widgets",
        "--tag",
        "v1.1*.0",
        "--cert-identity",
        identity,
        "--cert-oidc-issuer",
        ISSUER,
        "--source-repository",
        "evil/widgets",
        "--json",
    )
    assert result.exit_code == 1
    assert "source repository" in result.stdout

    # -- the real sigstore CLI accepts a downloaded bundle ------------------------------
    wheel = next(a for a in after[UNICODE_TAG].get_assets() if a.name.endswith(".whl"))
    bundle = next(
        a for a in after[UNICODE_TAG].get_assets() if a.name == wheel.name + ".sigstore.json"
    )
    wheel.download_asset(str(tmp_path / "artifact.whl"))
    bundle.download_asset(str(tmp_path / "artifact.whl.sigstore.json"))
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "sigstore",
            "--trust-config",
            str(sb.info.trust_config),
            "verify",
            "identity",
            "--cert-identity",
            identity,
            "--cert-oidc-issuer",
            ISSUER,
            str(tmp_path / "artifact.whl"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr

    # -- a second apply of the finished plan, and a new plan: zero writes ------------
    sb.clear_requests()
    result = sb.chainkit(*sb.apply_args(plan_file, plan["plan_digest"], tmp_path / "state"))
    assert json.loads(result.stdout)["certificates"] == 0
    log = sb.requests_log()
    assert [r for r in log if r["method"] != "GET"] == []
    # the journal and the plan are not trusted: what the journal claims is re-verified at
    # the destination over GitHub's own digest, or over the asset's bytes hashed again when
    # GitHub states none (a digest only the plan or journal states is never trusted); the
    # blocked one is downloaded again to reproduce its mismatch (a journal never blocks)
    fetched = {r["path"].rsplit("/", 1)[1] for r in log if r["kind"] == "download"}
    names = {str(a.id): a.name for rel in sb.releases().values() for a in rel.get_assets()}
    assets = sorted(
        names[i] for i in fetched if not names[i].endswith((".sigstore.json", "SHA256SUMS"))
    )
    # a checksum file is read again (once) as the evidence of an asset GitHub states no
    # digest for: the plan's evidence is re-derived, never trusted
    assert sum(names[i] == "SHA256SUMS" for i in fetched) <= RELEASES
    without_digest = {
        a["name"]
        for rel in plan["releases"]
        for a in rel["assets"]
        if a["digest"] is None and a["action"] == "sign"
    }
    assert fetched and assets == sorted(without_digest | {"widgets-1.6.0.tar.gz"})
    assert json.loads(result.stdout)["summary"]["blocked"] == 1

    result = sb.plan(tmp_path / "plan2.json")
    replan = json.loads(result.stdout)
    # only the swapped asset: a plan cannot see its bytes; apply refuses it again
    assert replan["summary"]["actions"] == {"sign": 1, "replace": 0, "skip": RELEASES * 3 - 1}
    sb.clear_requests()
    result = sb.chainkit(
        *sb.apply_args(tmp_path / "plan2.json", replan["plan_digest"], tmp_path / "state2")
    )
    assert json.loads(result.stdout)["summary"]["blocked"] == 1
    assert [r for r in sb.requests_log() if r["method"] != "GET"] == []
