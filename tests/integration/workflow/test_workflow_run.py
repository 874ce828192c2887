"""``chainkit workflow run`` end to end on the fixture workflows in tests/assets/workflows."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from chainkit.cli import cli
from chainkit.sandbox import oidc_admin_secret
from chainkit.workflow import run_workflow

pytestmark = pytest.mark.node

ASSETS = Path(__file__).parents[2] / "assets" / "workflows"
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    target = tmp_path / "ws"
    shutil.copytree(ASSETS, target)
    return target


def _env(**extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CHAINKIT_"))}
    env.update(
        {
            "GITHUB_API_URL": "http://127.0.0.1:9",
            "GITHUB_REPOSITORY": "acme/widgets",
            "GITHUB_TOKEN": "t" * 8 + "-fake",
            "GITHUB_SHA": SHA,
        }
    )
    env.update(extra)
    return env


def _invoke(workspace: Path, name: str, *args: str, env: Mapping[str, str] | None = None) -> Any:
    isolated: dict[str, str | None] = dict.fromkeys(_env())
    isolated.update(env or _env())
    return CliRunner().invoke(
        cli,
        [
            "workflow", "run", str(workspace / name), "--workspace", str(workspace),
            "--artifacts", str(workspace.parent / "artifacts"), "--json", *args,
        ],
        env=isolated,
        catch_exceptions=False,
    )  # fmt: skip


def test_env_outputs_composites_and_needs(workspace: Path) -> None:
    result = _invoke(workspace, "basic.yml", "--input", "name=local")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    first = report["jobs"]["first"]
    assert first["outputs"] == {"multi": "line one\nline two", "greeting": "hello local?"}
    assert [s["id"] for s in first["steps"]] == ["write", "__2", "greet"]
    assert report["jobs"]["second"]["result"] == "success"
    assert report["summaries"]["first"] == "## summary of first\n"
    assert report["jobs"]["matrix"]["result"] == "success"
    assert "word=a n=1 total=2" in result.stderr and "word=b n=1 total=2" in result.stderr
    assert "s3cr3t-value" not in result.stderr and "the secret is ***" in result.stderr


def test_bad_inputs_exit_2(workspace: Path) -> None:
    assert _invoke(workspace, "basic.yml", "--input", "nope=1").exit_code == 2
    assert _invoke(workspace, "basic.yml", "--input", "loud=maybe").exit_code == 2
    assert _invoke(workspace, "basic.yml", "--input", "color=blue").exit_code == 2
    assert _invoke(workspace, "basic.yml", "--input", "novalue").exit_code == 2


def test_a_failing_step_skips_the_rest_but_not_always_and_failure(workspace: Path) -> None:
    result = _invoke(workspace, "failing.yml")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    broken = report["jobs"]["broken"]
    steps = {s["id"]: (s["outcome"], s["conclusion"]) for s in broken["steps"]}
    assert steps == {
        "tolerated": ("failure", "success"),
        "ok": ("success", "success"),
        "boom": ("failure", "failure"),
        "after": ("skipped", "skipped"),
        "on-failure": ("success", "success"),
        "on-always": ("success", "success"),
    }
    assert broken["outputs"] == {"after": "skipped"}
    assert broken["annotations"] == [{"level": "error", "message": "it broke"}]
    assert report["summaries"]["broken"] == "failure() ran\nalways() ran\n"
    assert report["jobs"]["dependent"]["result"] == "skipped"
    assert report["jobs"]["cleanup"]["result"] == "success"
    assert "| must not run" not in result.stderr


def test_job_selection_runs_the_needs_too(workspace: Path) -> None:
    report = json.loads(_invoke(workspace, "basic.yml", "--job", "second").stdout)
    assert list(report["jobs"]) == ["first", "second"]
    assert _invoke(workspace, "basic.yml", "--job", "nope").exit_code == 2


def test_artifacts_round_trip_without_symlinks(workspace: Path) -> None:
    result = _invoke(workspace, "artifacts.yml")
    assert result.exit_code == 0, result.stderr
    artifacts = workspace.parent / "artifacts"
    assert (artifacts / "bundle" / "sub" / "b.txt").read_text() == "two\n"
    assert not (artifacts / "bundle" / "link").exists()
    assert (artifacts / "sarif" / "scan-r.sarif").is_file()
    again = _invoke(workspace, "artifacts.yml")  # a new run replaces the earlier run's artifact
    assert again.exit_code == 0, again.stderr


def test_a_file_github_rejects_exits_2(workspace: Path) -> None:
    result = _invoke(workspace, "rejected.yml")
    assert result.exit_code == 2
    assert "rejects" in result.stderr


def test_an_unpinned_remote_action_exits_2(workspace: Path) -> None:
    result = _invoke(workspace, "unpinned.yml")
    assert result.exit_code == 2
    assert "not pinned by a full commit SHA" in result.stderr


def test_an_action_runs_as_a_one_step_job(workspace: Path) -> None:
    result = _invoke(workspace, "actions/greet/action.yml", "--input", "who=you")
    assert result.exit_code == 0, result.stderr
    step = json.loads(result.stdout)["jobs"]["action"]["steps"][0]
    assert step["outputs"]["greeting"] == "hello you!"
    missing = _invoke(workspace, "actions/greet/action.yml")
    assert missing.exit_code == 1  # required input not supplied: the step fails
    assert _invoke(workspace, "actions/greet/action.yml", "--input", "x=1").exit_code == 2


def test_step_timeout_cancels_the_step(workspace: Path) -> None:
    result = _invoke(workspace, "timeout.yml")
    assert result.exit_code == 1
    assert "ran after the timeout" in result.stderr


def test_checkout_of_chainkit_itself_and_setup_python(workspace: Path) -> None:
    result = _invoke(workspace, "checkout.yml")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["jobs"]["self"]["outputs"] == {"repo": "local/chainkit"}


def test_node_modules_missing_exits_3(workspace: Path, tmp_path: Path) -> None:
    result = _invoke(workspace, "basic.yml", env=_env(CHAINKIT_JS_DIR=str(tmp_path / "nojs")))
    assert result.exit_code == 3
    assert "npm ci --prefix js" in result.stderr


def _digest(value: str) -> str:
    import hashlib

    return hashlib.sha256(value.encode()).hexdigest()[:16]


def test_read_token_for_read_only_jobs_and_sandbox_oidc(
    workspace: Path, sandbox_factory: Callable[..., Any]
) -> None:
    sb = sandbox_factory()
    env = _env(
        GITHUB_API_URL=sb.api_url,
        GITHUB_TOKEN=sb.info.token,
        CHAINKIT_READ_TOKEN=sb.info.read_token,
    )
    result = run_workflow(
        workspace / "tokens.yml",
        inputs={},
        workspace=workspace,
        artifacts_dir=workspace.parent / "artifacts",
        environ=env,
        oidc="sandbox",
        oidc_secret=lambda url: oidc_admin_secret(url, ()) or "",
    )
    assert result.ok
    assert result.jobs["plan"].outputs["digest"] == _digest(sb.info.read_token)
    apply = result.jobs["apply"]
    assert apply.outputs["digest"] == _digest(sb.info.token)
    assert apply.environment == "approvers"
    assert "leaked" not in apply.outputs  # an output holding a secret is skipped, as on GitHub
    claims = json.loads(apply.outputs["claims"])
    assert claims["aud"] == "sigstore"
    assert claims["repository"] == "acme/widgets"
    assert claims["environment"] == "approvers"
    assert claims["sha"] == SHA
    assert claims["event_name"] == "workflow_dispatch"
    assert claims["job_workflow_ref"].startswith("local/chainkit/")
    assert claims["workflow_ref"] == "acme/widgets/tokens.yml@refs/heads/main"
    assert len(claims["job_workflow_sha"]) == 40
    signer = result.jobs["signer"].outputs  # id-token: write alone: the read token, no forging
    assert signer["digest"] == _digest(sb.info.read_token)
    assert signer["forge"] == "400"
    no_oidc = run_workflow(
        workspace / "tokens.yml",
        inputs={},
        workspace=workspace,
        artifacts_dir=workspace.parent / "artifacts",
        environ=env,
    )
    assert (
        "claims" not in no_oidc.jobs["apply"].outputs or not no_oidc.jobs["apply"].outputs["claims"]
    )


def test_the_oidc_endpoint_mints_with_the_requested_audience(
    sandbox_factory: Callable[..., Any],
) -> None:
    import requests

    from chainkit.signing import token_claims

    sb = sandbox_factory()
    query = {
        "repository": "acme/widgets",
        "ref": "refs/heads/main",
        "sha": SHA,
        "event_name": "workflow_call",
        "environment": "prod",
        "workflow_ref": "acme/widgets/.github/workflows/caller.yml@refs/heads/main",
        "job_workflow_ref": "owner/chainkit/.github/workflows/sigstore-backfill.yml@refs/tags/v1",
        "job_workflow_sha": "f" * 40,
        "audience": "custom",
    }
    claims_in = {k: v for k, v in query.items() if k != "audience"}
    jobs_url, url = f"{sb.api_url}/_sandbox/oidc/jobs", f"{sb.api_url}/_sandbox/oidc/token"

    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"bearer {token}"}

    # only the sandbox's admin secret (its state directory, 0600) registers a job's claims:
    # no GitHub token, read or write (a step holds the job's token), and no guess
    for github_token in (sb.info.read_token, sb.info.token, "sbxadm-guess"):
        refused_reg = requests.post(
            jobs_url, json=claims_in, headers=bearer(github_token), timeout=30
        )
        assert refused_reg.status_code == 401
    secret_file = sb.info.dir / "oidc-admin.secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    admin = secret_file.read_text().strip()
    reg = requests.post(jobs_url, json=claims_in, headers=bearer(admin), timeout=30)
    assert reg.status_code == 201
    request_token = reg.json()["request_token"]
    assert request_token not in (sb.info.token, sb.info.read_token)
    unauthorised = requests.get(url, params={"audience": "custom"}, timeout=30)
    assert unauthorised.status_code == 401
    for github_token in (sb.info.token, sb.info.read_token):  # no GitHub token mints
        refused = requests.get(url, params=query, headers=bearer(github_token), timeout=30)
        assert refused.status_code == 401
    forged = requests.get(
        url + "?api-version=2.0&audience=custom&environment=sigstore-backfill",
        headers=bearer(request_token),
        timeout=30,
    )
    assert forged.status_code == 400  # claims come from the registration only
    answer = requests.get(
        url + "?api-version=2.0&audience=custom", headers=bearer(request_token), timeout=30
    )
    assert answer.status_code == 200
    claims = token_claims(answer.json()["value"])
    assert claims["aud"] == "custom"
    assert claims["environment"] == "prod"
    assert claims["sub"] == "repo:acme/widgets:environment:prod"
    assert claims["event_name"] == "workflow_call"
    assert claims["job_workflow_ref"] == query["job_workflow_ref"]
    assert claims["job_workflow_sha"] == "f" * 40
    assert claims["workflow_ref"] == query["workflow_ref"]
    assert claims["sha"] == SHA
    gone = requests.delete(jobs_url, headers=bearer(request_token), timeout=30)
    assert gone.status_code == 204
    after = requests.get(url + "?audience=custom", headers=bearer(request_token), timeout=30)
    assert after.status_code == 401


def test_a_local_reusable_workflow_job(workspace: Path) -> None:
    result = _invoke(workspace, "caller.yml")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["jobs"]["call"]["outputs"] == {"said": "hi hi"}
    assert report["jobs"]["after"]["result"] == "success"
    called = _invoke(workspace, ".github/workflows/called.yml", "--input", "word=x")
    assert json.loads(called.stdout)["outputs"] == {"said": "x"}


def test_steps_fold_into_groups_when_run_inside_actions(workspace: Path) -> None:
    import io

    log = io.StringIO()
    result = run_workflow(
        workspace / "basic.yml",
        inputs={},
        workspace=workspace,
        artifacts_dir=workspace.parent / "artifacts",
        environ=_env(GITHUB_ACTIONS="true"),
        log_stream=log,
    )
    assert result.ok
    lines = log.getvalue().splitlines()
    assert lines.count("::endgroup::") > 0
    assert sum(line.startswith("::group::") for line in lines) == lines.count("::endgroup::")
    assert "    | ::add-mask::" not in log.getvalue()  # a step's commands never reach the real log


def test_summaries_reach_the_real_step_summary_inside_actions(workspace: Path) -> None:
    summary = workspace.parent / "summary.md"
    result = _invoke(
        workspace,
        "failing.yml",
        env=_env(GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary)),
    )
    assert result.exit_code == 1
    assert summary.read_text() == "failure() ran\nalways() ran\n"


def test_hostile_file_commands_fail_their_step(workspace: Path) -> None:
    result = _invoke(workspace, "hostile.yml")
    assert result.exit_code == 1
    jobs = json.loads(result.stdout)["jobs"]
    assert {name: job["result"] for name, job in jobs.items()} == {
        "link": "failure",
        "nul": "failure",
        "unclosed": "failure",
    }
    assert jobs["link"]["steps"][0]["outputs"] == {}
    assert "symlink" in result.stderr and "delimiter not found" in result.stderr
