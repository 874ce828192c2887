"""Seeded faults (``--faults``, ``/_sandbox/fault-plan``) as real clients see them.

Every rule here fires on ``every`` match or always, so no test depends on a random draw;
the seeded share is covered by the unit tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from http.client import HTTPConnection, HTTPException, IncompleteRead
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from github import GithubException, RateLimitExceededException

from _plugins.github import GitHubSandbox, http
from _plugins.sandbox import FullSandbox, asset, release, seed


def plan(sb: GitHubSandbox | FullSandbox, *rules: dict[str, Any], seed: int = 1) -> None:
    r = sb.admin("PUT", "fault-plan", json={"seed": seed, "rules": list(rules)})
    assert r.status_code == 200, r.text


def faulted(sb: GitHubSandbox | FullSandbox, service: str = "github") -> list[dict[str, Any]]:
    log = sb.admin("GET", "requests", params={"service": service}).json()
    return [e for e in log if e["fault"]]


def upload_path(sb: GitHubSandbox, tag: str, name: str) -> str:
    rel = sb.client().get_repo("acme/widgets").get_release(tag)
    return f"/uploads/repos/acme/widgets/releases/{rel.id}/assets?name={name}"


def raw(url: str, method: str, path: str, body: bytes = b"", **headers: str) -> Any:
    """One request on a fresh connection (HTTPConnection: no retries, no body re-reads)."""
    parts = urlsplit(url)
    conn = HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    conn.request(method, path, body=body or None, headers=headers)
    return conn, conn.getresponse()


def test_status_fault_then_clear(github_sandbox: GitHubSandbox) -> None:
    plan(github_sandbox, {"method": "GET", "path": "/releases/latest$", "status": 503, "times": 1})
    assert http(github_sandbox, "GET", "/repos/acme/widgets/releases/latest").status_code == 503
    assert http(github_sandbox, "GET", "/repos/acme/widgets/releases/latest").status_code == 200
    described = github_sandbox.admin("GET", "fault-plan").json()
    assert described["injected"] == {"github:status_503": 1}
    assert described["rules"][0] | {} == {
        "method": "GET",
        "path": "/releases/latest$",
        "status": 503,
        "times": 1,
        "service": "github",
        "matched": 2,
        "fired": 1,
    }
    assert [(e["kind"], e["status"], e["fault_kind"]) for e in faulted(github_sandbox)] == [
        ("get-latest-release", 503, "status_503")
    ]
    assert github_sandbox.admin("DELETE", "fault-plan").status_code == 204
    assert github_sandbox.admin("GET", "fault-plan").json()["rules"] == []


def test_bad_spec_is_refused_and_nothing_changes(github_sandbox: GitHubSandbox) -> None:
    plan(github_sandbox, {"status": 500, "path": "^/nothing$"})
    bad = github_sandbox.admin("PUT", "fault-plan", json={"rules": [{"status": 500, "x": 1}]})
    assert bad.status_code == 400
    assert "unknown 'x'" in bad.json()["message"]
    assert github_sandbox.admin("GET", "fault-plan").json()["rules"][0]["path"] == "^/nothing$"


def test_download_cut_mid_body(github_sandbox: GitHubSandbox) -> None:
    plan(github_sandbox, {"path": "^/storage/", "cut_body_after_bytes": 5, "times": 1})
    rel = github_sandbox.client().get_repo("acme/widgets").get_release("v1.2.0")
    url = rel.assets[0].browser_download_url
    size = rel.assets[0].size
    assert size > 5
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(url, timeout=30).raise_for_status()
    assert len(requests.get(url, timeout=30).content) == size  # only once
    (cut,) = faulted(github_sandbox)
    assert (cut["kind"], cut["status"], cut["bytes_out"]) == ("storage", 200, 5)


def test_json_answer_cut_mid_body(github_sandbox: GitHubSandbox) -> None:
    plan(github_sandbox, {"path": "/releases$", "method": "GET", "cut_body_after_bytes": 3})
    conn, resp = raw(
        github_sandbox.url,
        "GET",
        "/repos/acme/widgets/releases",
        Authorization=f"token {github_sandbox.write_token}",
    )
    with pytest.raises(IncompleteRead) as info:
        resp.read()
    conn.close()
    assert info.value.partial == b'[{"'


def test_upload_cut_mid_body_leaves_nothing(github_sandbox: GitHubSandbox) -> None:
    path = upload_path(github_sandbox, "v1.2.0", "cut.bin")
    plan(github_sandbox, {"method": "POST", "path": "/assets$", "cut_body_after_bytes": 100})
    headers = {
        "Authorization": f"token {github_sandbox.write_token}",
        "Content-Type": "application/octet-stream",
    }
    with pytest.raises((HTTPException, OSError)):
        raw(github_sandbox.url, "POST", path, b"x" * 1000, **headers)
    (cut,) = faulted(github_sandbox)
    assert (cut["kind"], cut["status"], cut["bytes_in"]) == ("upload", 0, 100)
    names = [
        a.name
        for a in github_sandbox.client().get_repo("acme/widgets").get_release("v1.2.0").assets
    ]
    assert "cut.bin" not in names


def test_upload_502_leaves_an_empty_starter_asset(
    github_sandbox_factory: Callable[..., GitHubSandbox],
) -> None:
    # The OpenAPI enum of `state` lists only uploaded/open; GitHub's own text (BEHAVIOR.md
    # section 3) says a failed upload may leave `starter`. The contract check is off here.
    github_sandbox = github_sandbox_factory(validate=False)
    path = upload_path(github_sandbox, "v1.2.0", "starter.bin")
    plan(
        github_sandbox, {"method": "POST", "path": "/assets$", "starter_then_502": True, "times": 1}
    )
    headers = {"Content-Type": "application/octet-stream"}
    r = http(github_sandbox, "POST", path, data=b"payload", headers=headers)
    assert r.status_code == 502
    rel = github_sandbox.client().get_repo("acme/widgets").get_release("v1.2.0")
    (starter,) = [a for a in rel.assets if a.name == "starter.bin"]
    assert (starter.state, starter.size) == ("starter", 0)
    # As on GitHub, the broken asset blocks a re-upload until it is deleted.
    again = http(github_sandbox, "POST", path, data=b"payload", headers=headers)
    assert again.status_code == 422
    assert again.json()["errors"][0]["code"] == "already_exists"
    starter.delete_asset()
    assert http(github_sandbox, "POST", path, data=b"payload", headers=headers).status_code == 201


def test_secondary_limit_answer(github_sandbox: GitHubSandbox) -> None:
    plan(
        github_sandbox,
        {
            "method": "POST",
            "path": "/releases$",
            "secondary_limit": True,
            "retry_after": 0,
            "times": 1,
        },
    )
    r = http(github_sandbox, "POST", "/repos/acme/widgets/releases", json={"tag_name": "v9"})
    assert r.status_code == 403
    assert "secondary rate limit" in r.json()["message"]
    assert r.headers["retry-after"] == "0"
    assert not [h for h in r.headers if h.lower().startswith("x-ratelimit")]
    assert github_sandbox.client().get_repo("acme/widgets").get_releases().totalCount == 3


def test_primary_limit_exhausted(github_sandbox: GitHubSandbox) -> None:
    plan(github_sandbox, {"path": "^/repos/acme/widgets$", "primary_exhausted": True, "times": 1})
    with pytest.raises(RateLimitExceededException) as info:
        github_sandbox.client().get_repo("acme/widgets")
    assert info.value.headers is not None
    assert info.value.headers["x-ratelimit-remaining"] == "0"
    assert github_sandbox.client().get_repo("acme/widgets").name == "widgets"


def test_pygithub_sees_a_5xx_on_write(github_sandbox: GitHubSandbox) -> None:
    plan(github_sandbox, {"method": "PATCH", "status": 500, "every": 2})
    rel = github_sandbox.client().get_repo("acme/widgets").get_release("v1.2.0")
    assert rel.update_release(rel.name, "one").body == "one"
    with pytest.raises(GithubException) as info:
        rel.update_release(rel.name, "two")
    assert info.value.status == 500
    assert github_sandbox.client().get_repo("acme/widgets").get_release("v1.2.0").body == "one"


def test_latency_is_applied_and_counted(github_sandbox: GitHubSandbox) -> None:
    slept: list[float] = []
    github_sandbox.server.state.plan.sleep = slept.append
    plan(github_sandbox, {"path": "/releases", "latency_ms": 250})
    github_sandbox.client().get_repo("acme/widgets").get_release("v1.2.0")
    assert slept == [0.25]
    assert github_sandbox.admin("GET", "fault-plan").json()["injected"] == {"github:latency": 1}


# ----------------------------------------------------------------------------- Sigstore


def test_sigstore_faults_by_service(sandbox_factory: Callable[..., FullSandbox]) -> None:
    sb = sandbox_factory(seed(releases=[release("v1", assets=[asset("a.whl", b"a")])]))
    base = sb.info.sigstore_url
    plan(
        sb,
        {"service": "rekor", "method": "GET", "path": "^/api/v1/log$", "status": 503, "times": 1},
        {"service": "fulcio", "path": "trustBundle", "cut_body_after_bytes": 7},
        {"service": "tsa", "path": "certchain", "status": 500},
    )
    assert requests.get(f"{base}/api/v1/log", timeout=30).status_code == 503
    assert requests.get(f"{base}/api/v1/log", timeout=30).status_code == 200
    assert requests.get(f"{base}/api/v1/timestamp/certchain", timeout=30).status_code == 500
    conn, resp = raw(base, "GET", "/api/v2/trustBundle")
    with pytest.raises(IncompleteRead) as info:
        resp.read()
    conn.close()
    assert len(info.value.partial) == 7
    assert faulted(sb) == []  # GitHub's log holds GitHub's requests only
    seen = [(e["service"], e["status"], e["fault_kind"]) for e in faulted(sb, "sigstore")]
    assert seen == [
        ("rekor", 503, "status_503"),
        ("tsa", 500, "status_500"),
        ("fulcio", 200, "cut_body"),
    ]
    injected = sb.admin("GET", "fault-plan").json()["injected"]
    assert injected == {"fulcio:cut_body": 1, "rekor:status_503": 1, "tsa:status_500": 1}


def test_sigstore_requests_are_logged_without_credentials(
    sandbox_factory: Callable[..., FullSandbox],
) -> None:
    sb = sandbox_factory(seed(releases=[release("v1", assets=[asset("a.whl", b"a")])]))
    jwt = sb.identity_token()
    r = requests.post(
        f"{sb.info.sigstore_url}/api/v2/signingCert",
        headers={"Authorization": f"Bearer {jwt}"},
        json={},
        timeout=30,
    )
    assert r.status_code >= 400  # no key: refused, but logged
    log = sb.admin("GET", "requests", params={"service": "sigstore"}).json()
    (entry,) = [e for e in log if e["service"] == "fulcio"]
    assert (entry["method"], entry["path"], entry["status"]) == (
        "POST",
        "/api/v2/signingCert",
        r.status_code,
    )
    assert entry["bytes_in"] == 2 and entry["bytes_out"] > 0
    assert jwt not in json.dumps(log)
    assert sb.admin("GET", "requests", params={"service": "x"}).status_code == 400
    assert sb.admin("DELETE", "requests").status_code == 204
    assert sb.admin("GET", "requests", params={"service": "sigstore"}).json() == []


# ------------------------------------------------------------------- `sandbox up --faults`


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CHAINKIT_"))}
    return subprocess.run(
        [sys.executable, "-m", "chainkit", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


@pytest.fixture
def sandbox_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "sbx"
    yield directory
    run("sandbox", "down", "--dir", str(directory))


def test_up_with_faults_then_without(sandbox_dir: Path, tmp_path: Path) -> None:
    spec = tmp_path / "faults.yaml"
    spec.write_text("seed: 1\nrules:\n  - {path: '^/repos/acme/widgets$', status: 502}\n")
    result = run("sandbox", "up", "--dir", str(sandbox_dir), "--json", "--faults", str(spec))
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    auth = {"Authorization": f"token {info['token']}"}
    url = info["github_api_url"]
    assert requests.get(f"{url}/repos/acme/widgets", headers=auth, timeout=30).status_code == 502
    latest = requests.get(f"{url}/repos/acme/widgets/releases/latest", headers=auth, timeout=30)
    release_url = f"{url}/repos/acme/widgets/releases/{latest.json()['id']}"
    requests.patch(release_url, headers=auth, json={"body": "kept"}, timeout=30)
    # Already running: --faults cannot change it (exit 2, with a remediation).
    again = run("sandbox", "up", "--dir", str(sandbox_dir), "--faults", str(spec))
    assert again.returncode == 2
    assert run("sandbox", "down", "--dir", str(sandbox_dir)).returncode == 0
    result = run("sandbox", "up", "--dir", str(sandbox_dir), "--json")
    assert result.returncode == 0, result.stderr
    url = json.loads(result.stdout)["github_api_url"]
    assert requests.get(f"{url}/repos/acme/widgets", headers=auth, timeout=30).status_code == 200
    latest = requests.get(f"{url}/repos/acme/widgets/releases/latest", headers=auth, timeout=30)
    assert latest.json()["body"] == "kept"


def test_bad_faults_file_is_exit_2(tmp_path: Path) -> None:
    spec = tmp_path / "faults.yaml"
    spec.write_text("seed: 1\nrules:\n  - {status: 502, chance: 0.5}\n")
    result = run("sandbox", "up", "--dir", str(tmp_path / "sbx"), "--faults", str(spec))
    assert result.returncode == 2
    assert "unknown 'chance'" in result.stderr
    assert not (tmp_path / "sbx").exists()
