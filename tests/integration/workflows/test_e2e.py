"""The reusable workflows end to end through the local runner (``chainkit.workflow``) against
the sandbox: sigstore-backfill.yml's plan job, then its apply job with the plan artifact and
digest (verified afterwards), its dry run, the must-fail cases (an unprotected environment), and
supply-chain.yml. docs/workflows.md, docs/local-runner.md.

These need the local runner and the composite actions (actions/*): skipped with the reason when
either is missing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from _plugins.sandbox import FullSandbox
from chainkit.sandbox import oidc_admin_secret

ROOT = Path(__file__).resolve().parents[3]
WORKFLOWS = ROOT / ".github" / "workflows"
ISSUER = "https://token.actions.githubusercontent.com"

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("chainkit.workflow") is None,
        reason="chainkit.workflow (the local runner, helper A's branch) is not importable",
    ),
    pytest.mark.skipif(
        not (ROOT / "actions" / "backfill" / "action.yml").is_file(),
        reason="actions/* (the composite actions, helper B1's branch) are not merged",
    ),
    pytest.mark.skipif(shutil.which("node") is None, reason="the local runner needs Node.js"),
]


def _environ(sb: FullSandbox, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    return {
        **keep,
        **sb.env(),  # GITHUB_API_URL, GITHUB_TOKEN (write), CHAINKIT_TRUST_CONFIG, no pacing
        "GITHUB_REPOSITORY": "acme/widgets",
        "CHAINKIT_READ_TOKEN": sb.info.read_token,  # the token of read-only jobs
        **extra,
    }


def _run(
    sb: FullSandbox,
    tmp_path: Path,
    workflow: str,
    inputs: dict[str, str],
    *,
    workspace: Path | None = None,
    **extra: str,
) -> Any:
    from chainkit.workflow import run_workflow

    ws = workspace or tmp_path / "workspace"
    ws.mkdir(exist_ok=True)
    return run_workflow(
        WORKFLOWS / workflow,
        inputs=inputs,
        workspace=ws,
        artifacts_dir=tmp_path / "artifacts",
        environ=_environ(sb, **extra),
        oidc="sandbox",
        oidc_secret=lambda url: oidc_admin_secret(url, ()) or "",
    )


def _describe(result: Any) -> str:
    return json.dumps(result.to_json(), indent=1, default=str)[:6000]


def test_backfill_plan_then_apply_then_verify(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory()
    result = _run(sb, tmp_path, "sigstore-backfill.yml", {"dry-run": "false", "tags": "v1.2.0"})
    assert result.jobs["plan"].result == "success", _describe(result)
    assert result.jobs["apply"].result == "success", _describe(result)
    digest = result.jobs["plan"].outputs["plan-digest"]
    assert digest
    # the plan travelled as an artifact, and what was applied is what was sealed
    plans = list((tmp_path / "artifacts").rglob("chainkit-plan.json"))
    assert plans and json.loads(plans[0].read_text())["plan_digest"] == digest
    assert result.jobs["apply"].outputs["complete"] == "true"
    assert result.jobs["apply"].outputs["remaining"] == "0"
    assert int(result.jobs["apply"].outputs["signed"]) > 0
    assert result.outputs["plan-digest"] == digest
    assert "Continuation" in result.summaries["apply"]
    assert digest in result.summaries["plan"]
    # what apply published verifies, signed by the reusable workflow's identity
    verified = sb.chainkit(
        "verify", "--repo", "acme/widgets", "--tag", "v1.2.0",
        "--cert-identity-regexp", r"https://github\.com/.+/\.github/workflows/sigstore-backfill\.yml@.+",
        "--cert-oidc-issuer", ISSUER, "--json",
    )  # fmt: skip
    assert verified.exit_code == 0, verified.output


def test_backfill_dry_run_plans_and_does_not_apply(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory()
    result = _run(sb, tmp_path, "sigstore-backfill.yml", {"tags": "v1.2.0"})
    assert result.jobs["plan"].result == "success", _describe(result)
    assert result.jobs["apply"].result == "skipped"
    assert "Dry run" in result.summaries["plan"]
    assert sb.writes() == []


def test_backfill_apply_in_an_unprotected_environment_fails(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory()
    result = _run(
        sb,
        tmp_path,
        "sigstore-backfill.yml",
        {"dry-run": "false", "tags": "v1.2.0", "environment": "docs"},
    )
    assert result.jobs["plan"].result == "success", _describe(result)
    assert result.jobs["apply"].result == "failure", _describe(result)
    assert not result.ok
    assert not [w for w in sb.writes() if "/_sandbox/" not in str(w.get("path", ""))]


def _git_project(path: Path) -> Path:
    path.mkdir()
    (path / "requirements.txt").write_text("packaging==24.2\n")
    (path / "app.py").write_text("def add(a: int, b: int) -> int:\n    return a + b\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "init"]):
        subprocess.run(["git", *args], cwd=path, env=env, check=True, timeout=60)
    return path


def test_supply_chain(sandbox_factory: Callable[..., FullSandbox], tmp_path: Path) -> None:
    gitleaks = os.environ.get("CHAINKIT_GITLEAKS") or shutil.which("gitleaks")
    if not gitleaks:
        pytest.skip("gitleaks is not installed (tests/requirements-gitleaks.txt)")
    sb = sandbox_factory()
    project = _git_project(tmp_path / "project")
    advisories = ROOT / "tests" / "assets" / "audit" / "osv"
    result = _run(
        sb,
        tmp_path,
        "supply-chain.yml",
        {
            "requirements": "requirements.txt",
            "advisory-db": str(advisories),
            "sbom-source": "requirements",
            "sbom-target": "requirements.txt",
            "gitleaks-path": gitleaks,
        },
        workspace=project,
    )
    for job in ("audit", "sbom", "scan-code", "scan-secrets", "summary"):
        assert result.jobs[job].result == "success", _describe(result)
    assert result.jobs["code-scanning"].result == "skipped"
    assert result.outputs["audit-findings"] == "0"
    assert int(result.outputs["sbom-components"]) >= 1
    assert result.outputs["code-findings"] == "0"
    assert result.outputs["secret-findings"] == "0"
    assert list((tmp_path / "artifacts").rglob("*.cdx.json"))
    assert "chainkit supply-chain checks" in result.summaries["summary"]


def test_release_sign(sandbox_factory: Callable[..., FullSandbox], tmp_path: Path) -> None:
    sb = sandbox_factory()
    project = _git_project(tmp_path / "project")
    result = _run(
        sb,
        tmp_path,
        "release-sign.yml",
        {
            "tag": "v1.2.0",
            "sbom-source": "requirements",
            "sbom-target": "requirements.txt",
            "sbom-name": "widgets-1.2.0.cdx.json",
        },
        workspace=project,
    )
    for job in ("plan", "sbom", "sign"):
        assert result.jobs[job].result == "success", _describe(result)
    assert int(result.outputs["signed"]) > 0
    # the SBOM signed is the one the sbom job sealed; the reviewer was told what they approve
    sealed = result.jobs["sbom"].outputs["sbom-digest"]
    assert len(sealed) == 64 and sealed in result.summaries["sbom"]
    assert "What the sign job will run" in result.summaries["plan"]
    names = {a.name for a in sb.releases()["v1.2.0"].get_assets()}
    assert {"widgets-1.2.0.cdx.json", "widgets-1.2.0.cdx.json.sigstore.json"} <= names
    verified = sb.chainkit(
        "verify", "--repo", "acme/widgets", "--tag", "v1.2.0",
        "--cert-identity-regexp", r"https://github\.com/.+/\.github/workflows/release-sign\.yml@.+",
        "--cert-oidc-issuer", ISSUER,
    )  # fmt: skip
    assert verified.exit_code == 0, verified.output


def _copy_of_this_repository(target: Path) -> Path:
    """The tracked files of this working tree, committed in a fresh repository (selftest.yml
    checks out the repository under test and scans its history)."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    for raw in listed.split(b"\0"):
        rel = Path(os.fsdecode(raw)) if raw else None
        if rel is None or "node_modules" in rel.parts:
            continue
        src = ROOT / rel
        if src.is_file() and not src.is_symlink():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target / rel)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "selftest"]):
        subprocess.run(["git", *args], cwd=target, env=env, check=True, timeout=120)
    return target


@pytest.mark.slow
def test_selftest_runs_every_action_and_the_must_fail_jobs_fail(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    """selftest.yml starts its own sandbox in a step (the actions get its URL through their
    `api-url` input); the fixture's only supplies a valid GITHUB_API_URL for the github context.
    The must-fail steps fail for their own reasons (their outputs say why), and the assert job
    passes."""
    if not (os.environ.get("CHAINKIT_GITLEAKS") or shutil.which("gitleaks")):
        pytest.skip("gitleaks is not installed (tests/requirements-gitleaks.txt)")
    sb = sandbox_factory()
    workspace = _copy_of_this_repository(tmp_path / "repository")
    # not chainkit's own name: the runner's plain checkout is then the workspace itself
    result = _run(
        sb, tmp_path, "selftest.yml", {}, workspace=workspace, GITHUB_REPOSITORY="acme/selftest"
    )
    jobs = result.jobs
    assert jobs["actions"].result == "success", _describe(result)
    assert jobs["actions"].outputs["checked"] == "true"
    assert int(jobs["actions"].outputs["signed"]) > 0
    # the must-fail steps failed (continue-on-error), each for its own reason
    tampered = jobs["tampered-asset"].outputs
    assert tampered["outcome"] == "failure" and tampered["exit-code"] == "1", _describe(result)
    assert tampered["failures"].startswith(f"v1.2.0/{tampered['asset']}: ")
    assert "digest mismatch" in tampered["failures"] and int(tampered["verified"]) > 0
    unprotected = jobs["unprotected-environment"].outputs
    assert unprotected["outcome"] == "failure" and unprotected["exit-code"] == "2"
    assert "environment 'docs'" in unprotected["error"]
    assert "requires no reviewers" in unprotected["error"]
    assert jobs["assert"].result == "success", _describe(result)
    # what the unit test feeds the assert script as a good run is what a real run exports
    # (tests/unit/test_workflows.py::test_selftest_assert_*)
    from unit.test_workflows import selftest_good_outputs

    good = selftest_good_outputs()
    for job, outputs in good.items():
        assert set(outputs) == set(jobs[job].outputs), job
