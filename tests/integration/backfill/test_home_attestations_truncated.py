"""``--home attestations`` when GitHub lists more attestations of a digest than chainkit
reads (``MAX_ATTESTATIONS``, 1000; lowered here so a few planted ones exceed it): apply
never writes a duplicate, and verify says it checked only the first ones.

The CLI runs in-process, so the lowered cap is the one the client uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from _plugins.sandbox import FullSandbox
from chainkit.attestation import PREDICATE_TYPE
from integration.backfill._flow import apply, make_plan, sha, two_wheels
from integration.backfill.test_home_attestations import ATTEST, api_writes, listed, verify_args

CAP = 3


def plant(sb: FullSandbox, sigstore_sandbox: Any, name: str, data: str) -> None:
    """``CAP`` attestations of ``name``'s digest, of the backfill type, by someone else,
    newer than ours (GitHub lists newest first): ours falls beyond the cap."""
    junk = sigstore_sandbox.attestation_bundle(
        {name: sha(data)}, predicate_type=PREDICATE_TYPE, repository="acme/widgets"
    )
    session = requests.Session()
    session.headers["Authorization"] = f"token {sb.info.token}"
    for _ in range(CAP):
        answer = session.post(f"{sb.api_url}{ATTEST}", json={"bundle": junk}, timeout=30)
        assert answer.status_code == 201, answer.text


def test_apply_never_duplicates_an_attestation_beyond_the_cap(
    sandbox_factory: Any, sigstore_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("chainkit.github._client.MAX_ATTESTATIONS", CAP)
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan = make_plan(sb, tmp_path / "plan.json", "--home", "attestations")
    first = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "s1")
    assert first.exit_code == 0, first.output

    # a.whl's list is cut before ours: b.whl's whole list still finds it
    plant(sb, sigstore_sandbox, "a.whl", "aaa")
    assert len(listed(sb, "aaa")) == CAP + 1
    sb.clear_requests()
    again = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "fresh")
    assert again.exit_code == 0, again.output
    assert f"POST {ATTEST}" not in api_writes(sb)
    assert json.loads(again.stdout)["summary"]["done"] == 2

    # every subject's list is cut: without this run's journal, the release fails (exit 1)
    plant(sb, sigstore_sandbox, "b.whl", "bbb")
    sb.clear_requests()
    refused = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "fresh2")
    assert refused.exit_code == 1, refused.output
    assert "cannot confirm" in refused.output
    assert "--home release-assets" in refused.output
    assert f"POST {ATTEST}" not in api_writes(sb)
    # with the journal that recorded the create, it is confirmed
    resumed = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "s1")
    assert resumed.exit_code == 0, resumed.output
    assert f"POST {ATTEST}" not in api_writes(sb)
    assert len(listed(sb, "aaa")) == CAP + 1  # still only ours and the planted ones

    # verify: not found among the first CAP, said so (not "no attestation")
    verified = sb.chainkit(*verify_args(sb, "--home", "attestations"))
    assert verified.exit_code == 1, verified.output
    rows = json.loads(verified.stdout)["bundles"]
    assert {r["status"] for r in rows} <= {"unsigned", "failed"}
    assert all(f"only the first {CAP} were checked" in r["reason"] for r in rows), rows
    assert f"more than {CAP} attestations" in verified.output
