"""Cross-check the chainkit checkout against the job's OIDC token (docs/workflows.md).

The reusable workflows check chainkit out at ``job.workflow_repository``/``job.workflow_sha``.
In jobs that already hold ``id-token: write`` this step asks the runner for the job's OIDC
token and compares its ``job_workflow_sha`` and ``job_workflow_ref`` claims (which GitHub
signs and which name the reusable workflow, not the caller) with those values, so a runner
or context that named another commit fails the job before anything is signed. The token is
fetched from the runner's own endpoint and never printed; its signature is not checked here
(Fulcio checks it when the job signs).

Environment: EXPECTED_SHA, EXPECTED_REPOSITORY, ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN.
Exit 0 when both match, 1 on a mismatch, 2 when the token cannot be had.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import urllib.parse
import urllib.request


def _fail(code: int, message: str) -> int:
    print(f"::error::{message}", file=sys.stderr)
    return code


def _claims(jwt: str) -> dict[str, object]:
    parts = jwt.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    data = json.loads(base64.urlsafe_b64decode(payload))
    if not isinstance(data, dict):
        raise ValueError("claims are not an object")
    return data


def main() -> int:
    expected_sha = os.environ.get("EXPECTED_SHA", "")
    expected_repo = os.environ.get("EXPECTED_REPOSITORY", "")
    url = os.environ.get("ACTIONS_ID_TOKEN_REQUEST_URL", "")
    bearer = os.environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "")
    if not expected_sha or not expected_repo:
        return _fail(2, "EXPECTED_SHA and EXPECTED_REPOSITORY must be set")
    if not url or not bearer:
        return _fail(2, "no OIDC token endpoint: this job needs `permissions: id-token: write`")
    if urllib.parse.urlsplit(url).scheme not in {"https", "http"}:
        return _fail(2, "ACTIONS_ID_TOKEN_REQUEST_URL is not an http(s) URL")
    sep = "&" if "?" in url else "?"
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        f"{url}{sep}audience=chainkit-version-check",
        headers={"Authorization": f"Bearer {bearer}", "Accept": "application/json"},
    )
    try:
        # the runner's own http(s) token endpoint, scheme checked above
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - scheme checked  # nosec B310
            body = json.loads(response.read(1 << 20))
        claims = _claims(str(body["value"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return _fail(2, f"could not read the job's OIDC token: {type(exc).__name__}")
    sha = claims.get("job_workflow_sha")
    ref = claims.get("job_workflow_ref")
    if sha != expected_sha:
        return _fail(
            1,
            f"chainkit was checked out at {expected_sha} but the OIDC token says this job runs "
            f"the reusable workflow at {sha!r}: refusing to continue",
        )
    if not isinstance(ref, str) or not ref.startswith(f"{expected_repo}/"):
        return _fail(
            1,
            f"chainkit was checked out from {expected_repo} but the OIDC token's "
            f"job_workflow_ref is {ref!r}: refusing to continue",
        )
    print(f"OIDC token agrees: {ref} at {sha}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
