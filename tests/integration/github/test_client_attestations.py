"""The client's artifact attestations calls against the GitHub stand-in: create through
the client's write path, list by subject digest across pages, 404 as "none"."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import requests

from _plugins.sandbox import repository, seed, token
from chainkit.github import AttestationsUnavailableError, ForbiddenError, GitHubUsageError
from integration.github.test_client import client_for

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


def test_create_then_list_across_pages(github_sandbox_factory: Any, sigstore_sandbox: Any) -> None:
    sb = github_sandbox_factory(SEED)
    client = client_for(sb, sb.write_token)
    bundle = json.dumps(sigstore_sandbox.attestation_bundle({"w.whl": WHEEL})).encode()
    ids = [client.create_attestation("acme/widgets", bundle) for _ in range(103)]
    assert len(set(ids)) == 103  # every POST is a new attestation
    listed = client.list_attestations("acme/widgets", f"sha256:{WHEEL}")
    assert len(listed) == 103  # 100 + 3: the Link header's next page was followed
    assert all(json.loads(a.bundle) == json.loads(bundle) for a in listed)
    assert {a.initiator for a in listed} == {"user"}
    typed = client.list_attestations("acme/widgets", f"sha256:{WHEEL}", predicate_type=PREDICATE)
    assert len(typed) == 103
    assert client.list_attestations("acme/widgets", f"sha256:{WHEEL}", predicate_type="x") == []
    assert client.list_attestations("acme/widgets", f"sha256:{OTHER}") == []  # GitHub's 404


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
