"""``--home attestations`` when GitHub lists attestations without their inline ``bundle``
(only ``bundle_url``, as API version 2026-03-10 does; BEHAVIOR.md section 10): apply never
takes such a list as "none exists" and writes no duplicate; verify says it could not read
them, never "unsigned" (review 9, break 2).

The CLI runs in-process, so the list answers are rewritten where requests returns them."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import requests

from _plugins.sandbox import FullSandbox
from integration.backfill._flow import apply, make_plan, two_wheels
from integration.backfill.test_home_attestations import ATTEST, api_writes, listed, verify_args


def strip_bundles(monkeypatch: pytest.MonkeyPatch, garble: bool = False) -> list[dict[str, Any]]:
    """Every attestations list answer loses its items' ``bundle`` (``garble``: each one
    becomes ``{}``, an object that is no Sigstore bundle); returns the headers each list
    request was sent with."""
    sent: list[dict[str, Any]] = []
    original = requests.Session.get

    def stripped(self: requests.Session, url: str, **kwargs: Any) -> Any:
        response = original(self, url, **kwargs)
        if "/attestations/" in url and response.status_code == 200:
            sent.append(dict(kwargs.get("headers") or {}))
            data = json.loads(response.content)
            for item in data.get("attestations") or ():
                if garble:
                    item["bundle"] = {}
                    continue
                item.pop("bundle", None)
                item.setdefault("bundle_url", "https://example.blob.core.windows.net/1.json.sn")
            body = json.dumps(data).encode()
            response._content = body
            response.raw = io.BytesIO(body)
            response.headers["Content-Length"] = str(len(body))
        return response

    monkeypatch.setattr(requests.Session, "get", stripped)
    return sent


def test_attestations_without_an_inline_bundle_are_never_taken_for_none(
    sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan = make_plan(sb, tmp_path / "plan.json", "--home", "attestations")
    first = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "s1")
    assert first.exit_code == 0, first.output
    assert len(listed(sb, "aaa")) == 1

    sent = strip_bundles(monkeypatch)
    # a continuation with a fresh state directory: it cannot see the attestation, and
    # cannot rule it out either: it refuses the release instead of signing it again
    sb.clear_requests()
    again = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "fresh")
    assert again.exit_code == 1, again.output
    assert "cannot confirm" in again.output and "without an" in again.output
    assert f"POST {ATTEST}" not in api_writes(sb)
    assert len(listed(sb, "aaa")) == 1  # no duplicate
    # the API version that still serves the inline bundle is asked for
    assert sent and all(h.get("X-GitHub-Api-Version") == "2022-11-28" for h in sent)
    # the journal that recorded the create confirms it
    resumed = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "s1")
    assert resumed.exit_code == 0, resumed.output
    assert f"POST {ATTEST}" not in api_writes(sb)

    verified = sb.chainkit(*verify_args(sb, "--home", "attestations"))
    assert verified.exit_code == 1, verified.output
    rows = json.loads(verified.stdout)["bundles"]
    assert rows and all(r["status"] == "failed" for r in rows), rows
    assert all(r["reason"].startswith("could not read 1 attestation") for r in rows), rows
    assert "no attestation" not in verified.stdout


def test_attestations_whose_bundle_is_not_a_bundle_are_never_taken_for_none(
    sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan = make_plan(sb, tmp_path / "plan.json", "--home", "attestations")
    first = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "s1")
    assert first.exit_code == 0, first.output

    strip_bundles(monkeypatch, garble=True)  # each listed bundle is `{}`
    sb.clear_requests()
    again = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "fresh")
    assert again.exit_code == 1, again.output
    assert "cannot confirm" in again.output and "can read" in again.output
    assert f"POST {ATTEST}" not in api_writes(sb)
    assert len(listed(sb, "aaa")) == 1  # no duplicate
