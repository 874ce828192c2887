"""The test-only admin endpoints under ``/_sandbox/`` (not part of GitHub's API).

They need no token and are not counted, logged or faulted: health, the fault registry
(``faults``), the seeded fault plan (``fault-plan``), the request log (``requests``),
the secondary limits and how many writes they admitted and refused (``limits``), and
state changes a test needs that GitHub offers no API for (make a release immutable, swap
an asset's bytes, give an asset a raw, unsanitised name, move a tag to another commit), and
``oidc/jobs`` + ``oidc/token``: the GitHub Actions OIDC token endpoint the local runner
(``chainkit workflow run --oidc sandbox``) gives jobs granted ``id-token: write``. The runner
registers a job's claims (``POST oidc/jobs`` with the sandbox's admin secret, a file of its
state directory no GitHub token can stand in for) and gets an opaque request token;
``GET oidc/token`` mints only for such a request token, only the registered claims (the
query may add ``audience`` and nothing else); ``DELETE oidc/jobs`` ends it.
Answers are small JSON bodies; errors are ``400``/``404``.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs

from chainkit.sandbox._errors import SandboxUsageError
from chainkit.sandbox._fault_plan import parse_fault_spec
from chainkit.sandbox._github import _render as render
from chainkit.sandbox._github._exchange import Exchange, Response, int_or_none
from chainkit.sandbox._github._faults import parse_fault

__all__ = ["handle"]


def _not_found() -> Response:
    return Response(404, {"message": "Not Found (sandbox admin)"})


def _faults(ex: Exchange, method: str) -> Response:
    registry = ex.state.faults
    if method == "DELETE":
        registry.clear()
        return Response(204)
    if method == "GET":
        return Response(200, registry.describe())
    if method == "POST":
        data, bad = ex.json_body("admin")
        if bad is not None:
            return bad
        fault, problem = parse_fault(data)
        if fault is None:
            return Response(400, {"message": problem})
        registry.add(fault)
        return Response(201, {"ok": True})
    return _not_found()


def _fault_plan(ex: Exchange, method: str) -> Response:
    # The seeded fault plan (docs/sandbox.md, 'Faults'), shared with the Sigstore stand-in.
    plan = ex.state.plan
    if method == "GET":
        return Response(200, plan.describe())
    if method == "DELETE":
        plan.clear()
        return Response(204)
    if method == "PUT":
        data, bad = ex.json_body("admin")
        if bad is not None:
            return bad
        try:
            plan.replace(parse_fault_spec(data, source="fault-plan"))
        except SandboxUsageError as exc:
            return Response(400, {"message": exc.message})
        return Response(200, plan.describe())
    return _not_found()


def _requests(ex: Exchange, method: str, query: str) -> Response:
    # GitHub's requests by default; ?service=sigstore: the Sandbox's Sigstore stand-in's.
    service = (parse_qs(query).get("service") or ["github"])[-1]
    if service not in ("github", "sigstore"):
        return Response(400, {"message": "service must be github or sigstore"})
    log = ex.state.requests if service == "github" else ex.state.sigstore_requests
    if method == "GET":
        return Response(200, log.entries())
    if method == "DELETE":
        ex.state.requests.clear()
        ex.state.sigstore_requests.clear()
        return Response(204)
    return _not_found()


def _set_immutable(ex: Exchange, repo_id: int, release_id: int) -> Response:
    store = ex.store
    rel = store.release(repo_id, release_id)
    if rel is None:
        return Response(404, {"message": "Not Found"})
    data, bad = ex.json_body("admin")
    if bad is not None:
        return bad
    if not isinstance(data.get("immutable"), bool):
        return Response(400, {"message": 'expected {"immutable": true|false}'})
    store.set_immutable(rel["id"], data["immutable"])
    rel = store.release(repo_id, rel["id"]) or rel
    repo = store.repo_by_id(repo_id)
    assert repo is not None
    return Response(200, render.release_json(ex.base(), repo, rel, store.assets(rel["id"])))


def _replace_content(ex: Exchange, repo_id: int, asset_id: int, query: str) -> Response:
    store = ex.store
    asset = store.asset(repo_id, asset_id)
    if asset is None:
        return Response(404, {"message": "Not Found"})
    length = ex.content_length()
    if length is None:
        ex.close_connection = True
        return Response(411, {"message": "Content-Length required"})
    digest = (parse_qs(query).get("digest") or ["keep"])[-1]
    if digest not in ("keep", "update"):
        return Response(400, {"message": "digest must be keep or update"})
    got = ex.stream_to_tmp(length)
    if got is None:
        return Response(400, {"message": "body shorter than Content-Length"})
    tmp, sha = got
    new = store.replace_content(asset["id"], tmp, length, sha, digest=digest)
    repo = store.repo_by_id(repo_id)
    assert repo is not None
    return Response(200, render.asset_json(ex.base(), repo, store.release_of_asset(new), new))


def _raw_name(ex: Exchange, repo_id: int, asset_id: int) -> Response:
    # A hostile name GitHub's sanitizer would never produce, for clients' path-safety tests.
    store = ex.store
    asset = store.asset(repo_id, asset_id)
    if asset is None:
        return Response(404, {"message": "Not Found"})
    data, bad = ex.json_body("admin")
    if bad is not None:
        return bad
    if not isinstance(data.get("name"), str) or not data["name"]:
        return Response(400, {"message": 'expected {"name": "<raw name>"}'})
    new = store.update_asset(asset["id"], {"name": data["name"]})
    repo = store.repo_by_id(repo_id)
    assert repo is not None
    return Response(200, render.asset_json(ex.base(), repo, store.release_of_asset(new), new))


def _move_tag(ex: Exchange, repo_id: int, tag: str) -> Response:
    data, bad = ex.json_body("admin")
    if bad is not None:
        return bad
    sha = data.get("sha")
    if not isinstance(sha, str) or len(sha) != 40 or sha.strip("0123456789abcdef"):
        return Response(400, {"message": 'expected {"sha": "<40 hex>"}'})
    ex.store.move_tag(repo_id, tag, sha)
    return Response(200, {"name": tag, "sha": sha})


_OIDC_CLAIMS = (
    "repository",
    "ref",
    "sha",
    "environment",
    "workflow_ref",
    "job_workflow_ref",
    "job_workflow_sha",
)


_MAX_OIDC_JOBS = 1000


def _bearer(ex: Exchange) -> str:
    scheme, _, credential = (ex.headers.get("Authorization") or "").partition(" ")
    return credential.strip() if scheme.lower() in ("bearer", "token") else ""


def _oidc_register(ex: Exchange, method: str) -> Response:
    # The runner (never a step) binds a job's claims to a fresh opaque request token.
    jobs = ex.state.oidc_jobs
    if method == "DELETE":
        jobs.pop(_bearer(ex), None)
        return Response(204)
    if method != "POST":
        return _not_found()
    # Not a GitHub token: a step holds the job's token and could forge any job's claims.
    admin = ex.state.oidc_admin_secret
    if admin is None:
        return Response(404, {"message": "OIDC needs the full sandbox (chainkit sandbox up)"})
    if not secrets.compare_digest(_bearer(ex).encode(), admin.encode()):
        return Response(
            401,
            {
                "message": "registering a job needs the sandbox's admin secret "
                "(oidc-admin.secret in its state directory), which only the local runner reads"
            },
        )
    data, bad = ex.json_body("admin")
    if bad is not None:
        return bad
    allowed = {*_OIDC_CLAIMS, "event_name"}
    if not isinstance(data, dict) or not all(
        k in allowed and isinstance(v, str) for k, v in data.items()
    ):
        return Response(400, {"message": f"claims: string values of {sorted(allowed)}"})
    if not data.get("repository"):
        return Response(400, {"message": "repository is required"})
    if len(jobs) >= _MAX_OIDC_JOBS:
        return Response(429, {"message": "too many registered jobs"})
    request_token = "oidcreq-" + secrets.token_urlsafe(32)
    jobs[request_token] = {k: v for k, v in data.items() if v}
    return Response(201, {"request_token": request_token})


def _oidc_token(ex: Exchange, query: str) -> Response:
    # Like ACTIONS_ID_TOKEN_REQUEST_URL: the caller adds &audience=..., authorises with the
    # job's request token (ACTIONS_ID_TOKEN_REQUEST_TOKEN) and gets {"value": JWT} for the
    # claims the runner registered; no GitHub token (read or write) is accepted here.
    mint = ex.state.mint_identity_token
    if mint is None:
        return Response(404, {"message": "OIDC needs the full sandbox (chainkit sandbox up)"})
    registered = ex.state.oidc_jobs.get(_bearer(ex))
    if registered is None:
        return Response(401, {"message": "Bad credentials (expected the job's request token)"})
    params = parse_qs(query, keep_blank_values=True)
    extra = sorted(set(params) - {"audience", "api-version"})
    if extra:
        return Response(400, {"message": f"claims are bound to the job; refused: {extra}"})
    claims: dict[str, Any] = {k: registered[k] for k in _OIDC_CLAIMS if registered.get(k)}
    if registered.get("event_name"):
        claims["event"] = registered["event_name"]
    # GitHub's default audience is the owner's URL; clients ask for their own (sigstore).
    owner = registered["repository"].partition("/")[0]
    audience = (params.get("audience") or [""])[-1]
    claims["audience"] = audience or f"https://github.com/{owner}"
    try:
        return Response(200, {"value": mint(**claims), "count": 1})
    except SandboxUsageError as exc:
        return Response(400, {"message": exc.message})


def handle(ex: Exchange, method: str, segs: list[str], query: str) -> Response:
    """Answer ``/_sandbox/<segs>``."""
    if segs == ["oidc", "token"] and method == "GET":
        return _oidc_token(ex, query)
    if segs == ["oidc", "jobs"]:
        return _oidc_register(ex, method)
    if segs == ["health"] and method == "GET":
        return Response(200, {"ok": True, "seeded": ex.store.seeded})
    if segs == ["faults"]:
        return _faults(ex, method)
    if segs == ["requests"]:
        return _requests(ex, method, query)
    if segs == ["limits"] and method == "GET":
        return Response(200, ex.state.write_budget.describe())
    if segs == ["fault-plan"]:
        return _fault_plan(ex, method)
    if len(segs) == 5 and segs[0] == "repos" and segs[3] == "tags" and method == "PUT":
        repo = ex.store.repo_by_name(segs[1], segs[2])
        if repo is None:
            return Response(404, {"message": "Not Found"})
        return _move_tag(ex, repo["id"], segs[4])
    if len(segs) >= 5 and segs[0] == "repos" and segs[3] == "releases":
        repo = ex.store.repo_by_name(segs[1], segs[2])
        if repo is None:
            return Response(404, {"message": "Not Found"})
        if len(segs) == 5 and method == "PATCH" and (rid := int_or_none(segs[4])) is not None:
            return _set_immutable(ex, repo["id"], rid)
        if len(segs) == 7 and segs[4] == "assets" and method == "PUT":
            aid = int_or_none(segs[5])
            if aid is not None and segs[6] == "content":
                return _replace_content(ex, repo["id"], aid, query)
            if aid is not None and segs[6] == "raw-name":
                return _raw_name(ex, repo["id"], aid)
    return _not_found()
