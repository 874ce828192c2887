"""The OpenAPI response check of tests/_plugins/github.py catches what it should."""

from __future__ import annotations

import json

from _plugins.github import RATE_LIMIT_HEADERS, GitHubSandbox, OpenAPIContract
from chainkit.sandbox._github import ObservedResponse

RATE = dict.fromkeys(RATE_LIMIT_HEADERS, "1")


def _observed(
    path: str, status: int, body: object, *, method: str = "GET", fault: bool = False
) -> ObservedResponse:
    return ObservedResponse(
        method=method,
        path=path,
        query="",
        status=status,
        headers={"content-type": "application/json; charset=utf-8", **RATE},
        body=json.dumps(body).encode(),
        kind="test",
        operation_id=None,
        fault=fault,
    )


def test_operations_are_found_by_template(github_openapi: OpenAPIContract) -> None:
    def op(method: str, path: str) -> str | None:
        found = github_openapi.operation(method, path)
        return found["operationId"] if found else None

    assert op("GET", "/repos/a/b/releases/latest") == "repos/get-latest-release"
    assert op("GET", "/repos/a/b/releases/12") == "repos/get-release"
    assert op("GET", "/repos/a/b/releases/tags/v1%2Fx") == "repos/get-release-by-tag"
    assert op("GET", "/repositories/9/releases") == "repos/list-releases"
    assert op("GET", "/repositories/9/releases/3/assets") == "repos/list-release-assets"
    assert op("POST", "/uploads/repos/a/b/releases/3/assets") == "repos/upload-release-asset"
    assert op("GET", "/rate_limit") == "rate-limit/get"
    assert op("GET", "/storage/release-assets/1/2") is None
    assert op("POST", "/repos/a/b/attestations") == "repos/create-attestation"
    assert op("GET", "/repositories/9/attestations/sha256:ab") == "repos/list-attestations"
    assert op("GET", "/orgs/a/attestations/sha256:ab") == "orgs/list-attestations"
    assert op("GET", "/users/a/attestations/sha256:ab") == "users/list-attestations"
    assert op("GET", "/orgs/a/repos") == "repos/list-for-org"
    assert op("GET", "/users/a/repos") == "repos/list-for-user"
    assert op("GET", "/installation/repositories") == "apps/list-repos-accessible-to-installation"
    assert len(github_openapi.operation_ids) == 22


def test_violations_are_reported(github_openapi: OpenAPIContract) -> None:
    bad = _observed("/repos/a/b/releases/12", 200, {"id": "x"})
    problems = github_openapi.violations(bad)
    assert any("'x' is not of type 'integer'" in p for p in problems)
    assert any("'upload_url' is a required property" in p for p in problems)
    bad_error = _observed("/repos/a/b/releases/tags/x", 404, {"message": 1})
    assert github_openapi.violations(bad_error)
    good_error = _observed("/repos/a/b/releases/tags/x", 404, {"message": "Not Found"})
    assert github_openapi.violations(good_error) == []
    no_headers = ObservedResponse("GET", "/rate_limit", "", 404, {}, None, "rate-limit", None)
    assert any("missing x-ratelimit-limit" in p for p in github_openapi.violations(no_headers))
    # Injected faults answer whatever the test asked for.
    assert github_openapi.violations(_observed("/repos/a/b/releases/12", 200, {}, fault=True)) == []


def test_sandbox_collects_violations(github_sandbox: GitHubSandbox) -> None:
    github_sandbox.client().get_repo("acme/widgets").get_latest_release()
    assert github_sandbox.observed
    assert github_sandbox.violations() == []
    github_sandbox.observed.append(_observed("/repos/a/b/releases/12", 200, {"id": "x"}))
    assert github_sandbox.violations()
    github_sandbox.observed.pop()  # keep the fixture's teardown check green
