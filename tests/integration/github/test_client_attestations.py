"""The client's artifact attestations calls against the GitHub stand-in: create through
the client's write path, list by subject digest across pages, 404 as "none"."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from typing import Any

import pytest
import requests

from _plugins.sandbox import repository, seed, token
from chainkit.github import (
    AttestationsUnavailableError,
    ForbiddenError,
    GitHubServiceError,
    GitHubUsageError,
    WriteBudget,
)
from integration.github.test_client import FAST, client_for

WHEEL = hashlib.sha256(b"wheel").hexdigest()
OTHER = hashlib.sha256(b"other").hexdigest()
PREDICATE = "https://example.com/predicate/v1"
SEED = seed(
    repos=[repository("acme/widgets")],
    tokens=[
        token("sandbox-write", contents="write", attestations="write"),
        token("sandbox-read", contents="read"),
        token("no-attest", contents="write", attestations="read"),
    ],
)


# GitHub's content-creation limits, 60 times faster: 103 creates wait a second, not a minute
SCALED = {"content": [{"requests": 80, "window_s": 1}, {"requests": 500, "window_s": 60}]}


def test_create_then_list_across_pages(github_sandbox_factory: Any, sigstore_sandbox: Any) -> None:
    sb = github_sandbox_factory({**SEED, "limits": SCALED})
    budget = WriteBudget.parse("80/1s,500/60s")
    client = client_for(sb, sb.write_token, dataclasses.replace(FAST, write_budget=budget))
    bundle = json.dumps(sigstore_sandbox.attestation_bundle({"w.whl": WHEEL})).encode()
    started = time.monotonic()
    ids = [client.create_attestation("acme/widgets", bundle) for _ in range(103)]
    elapsed = time.monotonic() - started
    assert len(set(ids)) == 103  # every POST is a new attestation
    listed = client.list_attestations("acme/widgets", f"sha256:{WHEEL}")
    assert len(listed) == 103  # 100 + 3: the Link header's next page was followed
    assert all(json.loads(a.bundle) == json.loads(bundle) for a in listed)
    assert {a.initiator for a in listed} == {"user"}
    typed = client.list_attestations("acme/widgets", f"sha256:{WHEEL}", predicate_type=PREDICATE)
    assert len(typed) == 103
    assert len(client.list_attestations("acme/widgets", f"sha256:{WHEEL}", predicate_type="x")) == 0
    assert len(client.list_attestations("acme/widgets", f"sha256:{OTHER}")) == 0  # GitHub's 404
    # the 81st create waited for the (scaled) one-second window, unless a loaded machine
    # already took longer than the window for the first 81 (then no wait is needed)
    assert client.pacer.waited > 0 or elapsed > 1.0
    assert client.pacer.writes == 103
    assert requests.get(f"{sb.url}/_sandbox/limits", timeout=30).json()["refused"] == 0


def test_create_refusals(github_sandbox_factory: Any, sigstore_sandbox: Any) -> None:
    sb = github_sandbox_factory(SEED)
    bundle = json.dumps(sigstore_sandbox.attestation_bundle({"w.whl": WHEEL})).encode()
    with pytest.raises(ForbiddenError, match="Resource not accessible") as forbidden:
        client_for(sb, "no-attest").create_attestation("acme/widgets", bundle)
    assert "attestations: write" in (forbidden.value.remediation or "")
    with pytest.raises(GitHubUsageError, match="422"):
        client_for(sb, sb.write_token).create_attestation("acme/widgets", b'{"mediaType": "x"}')
    http_fault = {"method": "POST", "path": "/attestations$", "status": 404,
                  "body": {"message": "Not Found"}}  # fmt: skip
    requests.post(f"{sb.url}/_sandbox/faults", json=http_fault, timeout=30).raise_for_status()
    with pytest.raises(AttestationsUnavailableError) as unavailable:
        client_for(sb, sb.write_token).create_attestation("acme/widgets", bundle)
    assert "--home release-assets" in (unavailable.value.remediation or "")


def _list_fault(sb: Any, **fault: Any) -> None:
    fault = {"method": "GET", "path": "/attestations/sha256", "status": 200, **fault}
    requests.post(f"{sb.url}/_sandbox/faults", json=fault, timeout=30).raise_for_status()


def _list_requests(sb: Any) -> int:
    log = requests.get(f"{sb.url}/_sandbox/requests", timeout=30).json()
    return sum(1 for r in log if "/attestations/" in r["path"])


@pytest.mark.parametrize("absolute", [True, False])
def test_a_list_that_links_to_itself_ends(github_sandbox_factory: Any, absolute: bool) -> None:
    sb = github_sandbox_factory(SEED)
    path = f"/repos/acme/widgets/attestations/sha256:{WHEEL}?per_page=100"
    link = f"{sb.url}{path}" if absolute else path
    # 50 canned pages: before the fix the client read all 50 (or, unbounded, forever)
    body = {"attestations": [{"bundle_url": "https://x/y", "repository_id": 1}]}
    _list_fault(sb, times=50, headers={"link": f'<{link}>; rel="next"'}, body=body)
    with pytest.raises(GitHubServiceError, match="did not end"):
        client_for(sb, sb.write_token).list_attestations("acme/widgets", f"sha256:{WHEEL}")
    assert _list_requests(sb) <= 3


def test_a_next_link_to_another_host_is_refused(github_sandbox_factory: Any) -> None:
    sb = github_sandbox_factory(SEED)
    _list_fault(sb, times=1, headers={"link": '<https://evil.example.net/steal?x=1>; rel="next"'},
                body={"attestations": []})  # fmt: skip
    with pytest.raises(GitHubServiceError, match="leaves"):
        client_for(sb, sb.write_token).list_attestations("acme/widgets", f"sha256:{WHEEL}")
    assert _list_requests(sb) == 1


@pytest.mark.parametrize("body", [{"attestations": 5}, {"attestations": "abc"}, [1, 2]])
def test_a_malformed_list_is_a_service_error(github_sandbox_factory: Any, body: Any) -> None:
    sb = github_sandbox_factory(SEED)
    _list_fault(sb, times=None, body=body)
    with pytest.raises(GitHubServiceError, match="cannot read"):
        client_for(sb, sb.write_token).list_attestations("acme/widgets", f"sha256:{WHEEL}")


def test_a_list_refused_names_the_read_permission(github_sandbox_factory: Any) -> None:
    sb = github_sandbox_factory(SEED)
    _list_fault(sb, status=403, times=None, body={"message": "Resource not accessible"})
    with pytest.raises(ForbiddenError) as caught:
        client_for(sb, sb.write_token).list_attestations("acme/widgets", f"sha256:{WHEEL}")
    assert "attestations: read" in (caught.value.remediation or "")
