"""Every operation of GitHub's releases OpenAPI description, answered by the stand-in, validates."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from _plugins.github import GitHubSandbox, OpenAPIContract, http
from _plugins.sandbox import repository, seed
from _plugins.sigstore import SigstoreSandbox

SHARED = (
    Path(__file__).resolve().parents[3].parent / "shared" / "github-api" / "releases-openapi.json"
)


def _call(sb: GitHubSandbox, method: str, path: str, token: str | None = "write", **kw):
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = f"token {token}"
    return requests.request(method, sb.url + path, headers=headers, timeout=30, **kw)


def test_asset_copy_matches_reference() -> None:
    from _plugins.github import OPENAPI_PATH

    if SHARED.exists():
        assert OPENAPI_PATH.read_bytes() == SHARED.read_bytes()
    assert OPENAPI_PATH.stat().st_size > 100_000


def test_every_operation_validates(
    github_sandbox: GitHubSandbox, github_openapi: OpenAPIContract
) -> None:
    sb = github_sandbox
    w = sb.write_token
    repo = _call(sb, "GET", "/repos/acme/widgets", w).json()
    rels = _call(sb, "GET", "/repos/acme/widgets/releases?per_page=1", w)
    rid = rels.json()[0]["id"]
    created = _call(
        sb, "POST", "/repos/acme/widgets/releases", w, json={"tag_name": "v9.9.9", "name": "n"}
    )
    assert created.status_code == 201
    new_id = created.json()["id"]
    upload_url = created.json()["upload_url"].split("{")[0]
    up = _call(
        sb,
        "POST",
        upload_url[len(sb.url) :] + "?name=a.txt&label=",
        w,
        data=b"abc",
        headers={"Content-Type": "text/plain"},
    )
    assert up.status_code == 201
    aid = up.json()["id"]
    responses = [
        _call(sb, "GET", "/rate_limit", w),
        _call(sb, "GET", "/repos/acme/widgets", w),
        _call(sb, "GET", "/repos/acme/widgets", None),
        _call(sb, "GET", "/repos/acme/nope", w),
        _call(sb, "GET", "/repos/acme/widgets/environments/sigstore-backfill", w),
        _call(sb, "GET", "/repos/acme/widgets/environments/docs", w),
        _call(sb, "GET", "/repos/acme/widgets/releases", w),
        _call(sb, "GET", "/repos/acme/widgets/releases", None),
        _call(sb, "GET", f"/repositories/{repo['id']}/releases?per_page=1&page=2", w),
        _call(sb, "GET", "/repos/acme/widgets/releases/latest", w),
        _call(sb, "GET", "/repos/acme/widgets/releases/tags/v1.2.0", w),
        _call(sb, "GET", "/repos/acme/widgets/releases/tags/v0.0.0", w),
        _call(sb, "GET", f"/repos/acme/widgets/releases/{rid}", w),
        _call(sb, "GET", f"/repos/acme/widgets/releases/{rid}", "bad-token"),
        _call(sb, "PATCH", f"/repos/acme/widgets/releases/{new_id}", w, json={"body": "x"}),
        _call(sb, "PATCH", "/repos/acme/widgets/releases/1", w, json={"body": "x"}),
        _call(sb, "GET", f"/repos/acme/widgets/releases/{new_id}/assets", w),
        _call(sb, "GET", f"/repos/acme/widgets/releases/assets/{aid}", w),
        _call(
            sb,
            "GET",
            f"/repos/acme/widgets/releases/assets/{aid}",
            w,
            headers={"Accept": "application/octet-stream"},
            allow_redirects=False,
        ),
        _call(sb, "GET", "/repos/acme/widgets/releases/assets/1", w),
        _call(sb, "PATCH", f"/repos/acme/widgets/releases/assets/{aid}", w, json={"label": "L"}),
        _call(sb, "POST", upload_url[len(sb.url) :] + "?name=a.txt", w, data=b"abc"),
        _call(sb, "POST", "/repos/acme/widgets/releases", w, json={"tag_name": "v9.9.9"}),
        _call(sb, "POST", "/repos/acme/widgets/releases", sb.read_token, json={"tag_name": "v9"}),
        _call(sb, "POST", "/repos/acme/widgets/releases", None, json={"tag_name": "v9"}),
        _call(sb, "GET", "/repos/acme/widgets/tags", w),
        _call(sb, "DELETE", f"/repos/acme/widgets/releases/assets/{aid}", w),
        _call(sb, "DELETE", f"/repos/acme/widgets/releases/assets/{aid}", w),
    ]
    statuses = [r.status_code for r in responses]
    assert statuses == [
        200,
        200,
        200,
        404,
        200,
        200,
        200,
        200,
        200,
        200,
        200,
        404,
        200,
        401,
        200,
        404,
        200,
        200,
        302,
        404,
        200,
        422,
        422,
        403,
        401,
        200,
        204,
        404,
    ]
    seen = {o.operation_id for o in sb.observed if o.operation_id}
    assert set(github_openapi.operation_ids) - seen == {
        "repos/create-attestation",
        "repos/list-attestations",
        "orgs/list-attestations",
        "users/list-attestations",
        "repos/list-for-org",
        "repos/list-for-user",
        "apps/list-repos-accessible-to-installation",
    }  # served by test_attestation_and_repository_list_operations_validate
    assert sb.violations() == []


def test_attestation_and_repository_list_operations_validate(
    github_sandbox_factory: Callable[..., GitHubSandbox],
    github_openapi: OpenAPIContract,
    sigstore_sandbox: SigstoreSandbox,
) -> None:
    sb = github_sandbox_factory(
        seed(repos=[repository("acme/widgets"), repository("acme/secret", private=True)])
    )
    digest = "sha256:" + hashlib.sha256(b"wheel").hexdigest()
    bundle = sigstore_sandbox.attestation_bundle({"w.whl": digest.split(":")[1]})
    stranger = sigstore_sandbox.attestation_bundle(
        {"w.whl": digest.split(":")[1]}, repository="acme/other"
    )
    calls: list[tuple[str, str, str | None, dict[str, Any]]] = [
        ("POST", "/repos/acme/widgets/attestations", "write", {"json": {"bundle": bundle}}),
        ("POST", "/repos/acme/widgets/attestations", "write", {"json": {"bundle": bundle}}),
        ("POST", "/repos/acme/widgets/attestations", "write", {"json": {"bundle": stranger}}),
        ("POST", "/repos/acme/widgets/attestations", "write", {"json": {}}),
        ("POST", "/repos/acme/widgets/attestations", "read", {"json": {"bundle": bundle}}),
        ("POST", "/repos/acme/widgets/attestations", None, {"json": {"bundle": bundle}}),
        ("GET", f"/repos/acme/widgets/attestations/{digest}", "write", {}),
        ("GET", f"/repos/acme/widgets/attestations/{digest}?per_page=1", None, {}),
        ("GET", f"/repositories/{{id}}/attestations/{digest}?predicate_type=sbom", "read", {}),
        ("GET", "/repos/acme/widgets/attestations/sha256:00", "write", {}),
        ("GET", f"/orgs/acme/attestations/{digest}", "write", {}),
        ("GET", f"/orgs/nobody/attestations/{digest}", "write", {}),
        ("GET", f"/users/acme/attestations/{digest}", None, {}),
        ("GET", f"/users/nobody/attestations/{digest}", None, {}),
        ("GET", "/orgs/acme/repos", "write", {}),
        ("GET", "/orgs/acme/repos?per_page=1&type=all&sort=full_name", None, {}),
        ("GET", "/orgs/nobody/repos", "write", {}),
        ("GET", "/users/acme/repos", "read", {}),
        ("GET", "/users/nobody/repos", "read", {}),
        ("GET", "/installation/repositories", "read", {}),
        ("GET", "/installation/repositories?per_page=1&page=2", "write", {}),
        ("GET", "/installation/repositories", None, {}),
    ]
    repo_id = http(sb, "GET", "/repos/acme/widgets").json()["id"]
    statuses = [
        http(sb, method, path.replace("{id}", str(repo_id)), token, **kw).status_code
        for method, path, token, kw in calls
    ]
    assert statuses == [
        201, 201, 422, 422, 403, 401,
        200, 200, 404, 404, 200, 404, 200, 404,
        200, 200, 404, 200, 404, 200, 200, 401,
    ]  # fmt: skip
    seen = {o.operation_id for o in sb.observed if o.operation_id}
    assert {
        "repos/create-attestation",
        "repos/list-attestations",
        "orgs/list-attestations",
        "users/list-attestations",
        "repos/list-for-org",
        "repos/list-for-user",
        "apps/list-repos-accessible-to-installation",
    } <= seen
    assert sb.violations() == []
