"""Each action's adapter run for real against the sandbox and the offline fixtures:
backfill plan then apply, verify, audit, sbom, scan code and scan secrets."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from _plugins.sandbox import ISSUER, FullSandbox, asset, release, seed
from integration.ghactions.conftest import REPO, RunStep

AUDIT_ASSETS = REPO / "tests" / "assets" / "audit"


_OK = {"exit-code": "0", "error": ""}


def _sandbox(sandbox_factory: Callable[..., FullSandbox]) -> FullSandbox:
    releases = [
        release("v1.0.0", assets=[asset("w-1.0.0-py3-none-any.whl", "wheel one", digest="auto")]),
        release("v1.1.0", assets=[asset("w-1.1.0-py3-none-any.whl", "wheel two", digest="auto")]),
    ]
    return sandbox_factory(seed(releases=releases))


def test_backfill_plan_apply_then_verify(
    sandbox_factory: Callable[..., FullSandbox], run_step: RunStep, tmp_path: Path
) -> None:
    sb = _sandbox(sandbox_factory)
    read_token, write_token = sb.info.read_token, sb.info.token
    env = sb.env(token=None)
    plan = tmp_path / "plan dir" / "chainkit-plan.json"
    plan.parent.mkdir()
    planned = run_step(
        "backfill",
        {"mode": "plan", "repository": "acme/widgets", "plan": str(plan), "token": read_token},
        env=env,
    )
    assert planned.code == 0, planned.stderr
    out = planned.outputs
    assert out["plan-path"] == str(plan) and plan.is_file()
    assert out["plan-digest"] == json.loads(plan.read_text())["plan_digest"]
    assert (out["to-sign"], out["blocked"], out["complete"]) == ("2", "0", "false")
    assert out["estimate"].endswith("s at 80/60s,500/3600s") and "writes" in out["estimate"]
    assert "acme/widgets" in planned.summary  # the plan's own step summary

    applied = run_step(
        "backfill",
        {
            "mode": "apply",
            "repository": "acme/widgets",
            "plan": str(plan),
            "expect-digest": out["plan-digest"],
            "state-dir": str(tmp_path / "state"),
            "token": write_token,
        },
        env={**env, "CHAINKIT_IDENTITY_TOKEN": sb.identity_token()},
    )
    assert applied.code == 0, applied.stderr
    assert applied.outputs["signed"] == "2"
    assert (applied.outputs["complete"], applied.outputs["remaining"]) == ("true", "0")
    assert applied.outputs["plan-digest"] == out["plan-digest"]

    verified = run_step(
        "verify",
        {
            "repository": "acme/widgets",
            "cert-identity": sb.identity(),
            "cert-oidc-issuer": ISSUER,
            "token": read_token,
        },
        env=env,
    )
    assert verified.code == 0, verified.stderr
    assert verified.outputs == {
        "exit-code": "0", "error": "", "verified": "2", "failed": "0", "unsigned": "0",
        "failures": "",
    }  # fmt: skip
    assert "| 2 | 0 | 0 |" in verified.summary
    for run in (planned, applied, verified):
        for token in (read_token, write_token):
            assert token not in run.stdout + run.stderr + run.output_text + run.summary


def test_apply_with_a_digest_that_was_not_approved_fails_with_only_the_reason(
    sandbox_factory: Callable[..., FullSandbox], run_step: RunStep, tmp_path: Path
) -> None:
    sb = _sandbox(sandbox_factory)
    env = sb.env(token=None)
    plan = tmp_path / "plan.json"
    planned = run_step(
        "backfill", {"mode": "plan", "plan": str(plan), "token": sb.info.read_token,
                     "repository": "acme/widgets"}, env=env,
    )  # fmt: skip
    assert planned.code == 0, planned.stderr
    applied = run_step(
        "backfill",
        {"mode": "apply", "plan": str(plan), "expect-digest": "0" * 64, "token": sb.info.token,
         "state-dir": str(tmp_path / "state")},
        env={**env, "CHAINKIT_IDENTITY_TOKEN": sb.identity_token()},
    )  # fmt: skip
    assert applied.code == 2, applied.stderr
    # no counts, only why: the exit code and chainkit's error line
    assert set(applied.outputs) == {"exit-code", "error"}
    assert applied.outputs["exit-code"] == "2" and "0" * 16 in applied.outputs["error"]
    assert f"error: {applied.outputs['error']}" in applied.stderr  # stderr still in the log
    assert sb.writes() == []


def test_verify_unsigned_assets_fail_with_counts(
    sandbox_factory: Callable[..., FullSandbox], run_step: RunStep
) -> None:
    sb = _sandbox(sandbox_factory)
    run = run_step(
        "verify",
        {"repository": "acme/widgets", "cert-identity": sb.identity(), "cert-oidc-issuer": ISSUER,
         "token": sb.info.read_token},
        env=sb.env(token=None),
    )  # fmt: skip
    assert run.code == 1, run.stderr
    assert run.outputs == {
        "exit-code": "1", "error": "", "verified": "0", "failed": "0", "unsigned": "2",
        "failures": "",
    }  # fmt: skip
    assert "::error title=chainkit::" in run.stderr


def test_audit_with_the_offline_database(run_step: RunStep, tmp_path: Path) -> None:
    sarif = tmp_path / "out" / "audit.sarif"
    sarif.parent.mkdir()
    run = run_step(
        "audit",
        {
            "requirements": str(AUDIT_ASSETS / "requirements.txt"),
            "advisory-db": str(AUDIT_ASSETS / "osv"),
            "sarif": str(sarif),
        },
        env={"CHAINKIT_AUDIT_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert run.code == 1, run.stderr
    document = json.loads(sarif.read_text())
    results = [r for r in document["runs"][0]["results"] if not r.get("suppressions")]
    assert run.outputs == {
        "exit-code": str(run.code), "error": "", "sarif-path": str(sarif),
        "findings": str(len(results)),
    }  # fmt: skip
    assert len(results) > 0
    assert "chainkit audit" in run.summary


def test_sbom_of_a_requirements_file(run_step: RunStep, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("click==8.1.7\nrequests==2.32.3\nurllib3==2.2.2\n")
    run = run_step(
        "sbom",
        {"source": "requirements", "path": str(requirements), "output": "sbom.cdx.json",
         "reproducible": "true"},
        env={"SOURCE_DATE_EPOCH": "1700000000"},
    )  # fmt: skip
    assert run.code == 0, run.stderr
    assert run.outputs == {**_OK, "sbom-path": "sbom.cdx.json", "components": "3"}
    document = json.loads((tmp_path / "sbom.cdx.json").read_text())
    assert document["bomFormat"] == "CycloneDX"
    assert "3 component(s)" in run.summary


def test_scan_code_finds_and_reports(run_step: RunStep, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("import subprocess\nsubprocess.call('ls', shell=True)\n")
    run = run_step("scan", {"kind": "code", "path": "src"})
    assert run.code == 1, run.stderr
    assert run.outputs["sarif-path"] == "chainkit-code.sarif"
    assert int(run.outputs["findings"]) >= 1
    assert json.loads((tmp_path / "chainkit-code.sarif").read_text())["runs"]
    assert "chainkit scan code" in run.summary


def test_scan_secrets_with_a_given_gitleaks(
    run_step: RunStep, tmp_path: Path, gitleaks: Path
) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "readme.txt").write_text("nothing secret here\n")
    run = run_step(
        "scan",
        {"kind": "secrets", "path": "files", "history": "false", "gitleaks-path": str(gitleaks),
         "sarif": "secrets.sarif"},
    )  # fmt: skip
    assert run.code == 0, run.stderr
    assert run.outputs == {**_OK, "sarif-path": "secrets.sarif", "findings": "0"}


@pytest.mark.parametrize(
    "inputs",
    [
        {"kind": "code", "path": "--version"},
        {"kind": "code", "path": "src\n--format=json"},
        {"kind": "secrets", "history": "TRUE"},
    ],
)
def test_hostile_inputs_exit_2_with_an_error_line(
    run_step: RunStep, inputs: dict[str, str]
) -> None:
    run = run_step("scan", inputs)
    assert run.code == 2
    assert run.stderr.startswith("::error title=chainkit::input ")
    assert run.outputs["exit-code"] == "2" and run.outputs["error"].startswith("input ")
    assert set(run.outputs) == {"exit-code", "error"}
