"""Who may apply a plan: GitHub environments with required reviewers, --yes, digests.

In GitHub Actions (``GITHUB_ACTIONS=true``) the OIDC token's ``environment`` claim
names the job's environment and the API tells whether it has required reviewers;
outside Actions a person confirms at a terminal or passes ``--yes``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import Result

from _plugins.sandbox import FullSandbox, asset, release
from _plugins.sandbox import seed as sandbox_seed

PROTECTED = "sigstore-backfill"
UNPROTECTED = "docs"


def seed() -> dict[str, Any]:
    return sandbox_seed(
        environments=[
            {"name": PROTECTED, "required_reviewers": ["release-team", "@octocat"]},
            {"name": UNPROTECTED, "required_reviewers": []},
        ],
        releases=[
            release(
                "v1.0.0",
                body="Release notes",
                published_at="2020-01-01T00:00:00Z",
                assets=[asset("widgets-1.0.0.tar.gz", "sdist", digest="auto")],
            )
        ],
    )


def actions_env(sb: FullSandbox, summary: Path, **extra: str) -> dict[str, str]:
    return sb.env(
        GITHUB_ACTIONS="true",
        GITHUB_REPOSITORY="acme/widgets",
        GITHUB_STEP_SUMMARY=str(summary),
        **extra,
    )


def make_plan(sb: FullSandbox, path: Path, env: dict[str, str]) -> str:
    result = sb.chainkit(
        "backfill", "plan", "--repo", "acme/widgets", "-o", str(path), "--json", env=env
    )
    assert result.exit_code == 0, result.output
    digest: str = json.loads(result.stdout)["plan_digest"]
    return digest


def apply(sb: FullSandbox, plan: Path, state: Path, *extra: str, env: dict[str, str]) -> Result:
    return sb.chainkit(
        "backfill", "apply", "--plan", str(plan), "--state-dir", str(state), "--json", *extra,
        env=env,
    )  # fmt: skip


def assert_refused(result: Result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    for needle in needles:
        assert needle in result.stderr, result.stderr
    assert "::error title=chainkit::" in result.stderr  # annotation in the Actions log


def test_actions_requires_an_environment_with_reviewers(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(seed())
    summary = tmp_path / "summary.md"
    plan = tmp_path / "plan.json"
    digest = make_plan(sb, plan, actions_env(sb, summary, GITHUB_TOKEN=sb.info.read_token or ""))
    assert "chainkit" in summary.read_text() and digest in summary.read_text()  # plan Markdown
    state = tmp_path / "state"
    sb.clear_requests()

    # an environment without required reviewers
    token = sb.identity_token(environment=UNPROTECTED)
    env = actions_env(sb, summary, CHAINKIT_IDENTITY_TOKEN=token)
    result = apply(sb, plan, state, "--expect-digest", digest, env=env)
    assert_refused(result, f"environment '{UNPROTECTED}'", "requires no reviewers", "Settings")
    # an environment that does not exist
    token = sb.identity_token(environment="nonexistent")
    env = actions_env(sb, summary, CHAINKIT_IDENTITY_TOKEN=token)
    result = apply(sb, plan, state, "--expect-digest", digest, env=env)
    assert_refused(result, "'nonexistent'", "--allow-unprotected")
    # no environment at all
    env = actions_env(sb, summary, CHAINKIT_IDENTITY_TOKEN=sb.identity_token())
    result = apply(sb, plan, state, "--expect-digest", digest, env=env)
    assert_refused(result, "no GitHub environment", "environment: sigstore-backfill")
    # no --expect-digest in Actions, even with an approved environment
    token = sb.identity_token(environment=PROTECTED)
    env = actions_env(sb, summary, CHAINKIT_IDENTITY_TOKEN=token)
    result = apply(sb, plan, state, env=env)
    assert_refused(result, "--expect-digest is required")
    # a digest other than the plan's (the approver saw another plan)
    result = apply(sb, plan, state, "--expect-digest", "0" * 64, env=env)
    assert_refused(result, "0" * 16)
    # outside Actions: no --yes and stdin is not a terminal
    env = sb.env(CHAINKIT_IDENTITY_TOKEN=sb.identity_token())
    result = apply(sb, plan, state, "--expect-digest", digest, env=env)
    assert result.exit_code == 2, result.output
    assert "stdin is not a terminal" in result.stderr and "--yes" in result.stderr
    assert "::error" not in result.stderr  # annotations only in Actions

    # nothing was written or signed by any refused apply
    assert sb.writes() == []
    assert not any(r["kind"] in {"download", "storage"} for r in sb.requests_log())
    assert sb.tree_size() == 0

    # --allow-unprotected: an unreviewed apply, accepted explicitly
    env = actions_env(sb, summary, CHAINKIT_IDENTITY_TOKEN=sb.identity_token())
    result = apply(sb, plan, state, "--expect-digest", digest, "--allow-unprotected", env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["approval"] == "unprotected (no environment, --allow-unprotected)"
    assert report["summary"]["signed"] == 1
    assert "nobody approved this apply" in result.stderr


def test_actions_apply_in_a_protected_environment(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(seed())
    summary = tmp_path / "summary.md"
    plan = tmp_path / "plan.json"
    digest = make_plan(sb, plan, actions_env(sb, summary, GITHUB_TOKEN=sb.info.read_token or ""))
    plan_markdown = summary.read_text()
    assert plan_markdown.lstrip().startswith("#") and "|" in plan_markdown  # a Markdown table

    token = sb.identity_token(environment=PROTECTED)
    env = actions_env(sb, summary, CHAINKIT_IDENTITY_TOKEN=token)
    result = apply(sb, plan, tmp_path / "state", "--expect-digest", digest, env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["approval"].startswith(f"environment '{PROTECTED}' with required reviewers")
    assert "release-team" in report["approval"]
    assert report["summary"]["signed"] == 1
    assert sb.tree_size() == 2  # the bundle and the release attestation
    # the apply's Markdown is appended after the plan's
    text = summary.read_text()
    assert text.startswith(plan_markdown)
    applied = text[len(plan_markdown) :]
    assert "## chainkit backfill apply" in applied
    assert f"Plan `{digest}`" in applied and "**1 signed**" in applied
    assert "| v1.0.0 | widgets-1.0.0.tar.gz | signed |" in applied
    # stdout stays pure JSON; Actions groups go to stderr
    assert "::group::" in result.stderr


def test_the_library_entry_point_holds_the_whole_gate(sandbox_factory: Any, tmp_path: Path) -> None:
    """``run_apply`` is the only public way to execute a plan: a library caller cannot
    skip the digest, the repository, the token expiry or the approval."""
    import pytest

    from chainkit._internal.ghenv import GitHubContext
    from chainkit.backfill import ApplyRequest, BackfillError, PlanError, load_plan, run_apply
    from chainkit.errors import UsageError
    from chainkit.github import GitHubClient
    from chainkit.signing import load_trust_config

    sb: FullSandbox = sandbox_factory(seed())
    plan_file = tmp_path / "plan.json"
    assert sb.plan(plan_file).exit_code == 0
    plan = load_plan(plan_file)
    context = GitHubContext(
        api_url=sb.api_url, token=sb.info.token, repository=None, step_summary=None,
        in_actions=False,
    )  # fmt: skip
    client = GitHubClient.from_context(context)
    asked: list[str] = []

    def run(**fields: Any) -> Any:
        request = ApplyRequest(
            **{
                "plan": plan,
                "state_dir": tmp_path / "state",
                "api_url": sb.api_url,
                "in_actions": False,
                **fields,
            }
        )
        return run_apply(
            request,
            client=client,
            trust_config=load_trust_config(sb.info.trust_config),
            token_provider=lambda: asked.append("token") or sb.identity_token(),
            confirm=lambda: asked.append("confirm") or False,
        )

    with pytest.raises(PlanError, match="not the approved"):
        run(expect_digest="0" * 64, yes=True)
    with pytest.raises(PlanError, match="not 'acme/other'"):
        run(repository="acme/other", yes=True)
    with pytest.raises(UsageError, match="--expect-digest is required"):
        run(in_actions=True)
    assert asked == []  # refused before any identity token was asked for
    with pytest.raises(BackfillError, match="cancelled"):
        run(interactive=True)  # the person said no
    assert asked == ["token", "confirm"]
    assert sb.tree_size() == 0
    assert sb.writes() == []


def test_apply_request_defaults_in_actions_from_the_environment(
    monkeypatch: Any, tmp_path: Path
) -> None:
    """A library caller inside Actions gets the Actions gate (a protected environment),
    even without saying so: ``yes`` cannot skip the environment reviewers."""
    from chainkit.backfill import ApplyRequest

    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert ApplyRequest(plan=None, state_dir=tmp_path, api_url="x").in_actions  # type: ignore[arg-type]
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert not ApplyRequest(plan=None, state_dir=tmp_path, api_url="x").in_actions  # type: ignore[arg-type]


def test_actions_empty_plan_is_nothing_to_do_in_a_protected_environment_only(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """An empty plan has nothing to approve, but the job's environment is still checked: a
    job that goes on to sign something else (release-sign.yml's SBOM) stays gated."""
    sb: FullSandbox = sandbox_factory(seed())
    summary = tmp_path / "summary.md"
    plan = tmp_path / "plan.json"
    read = actions_env(sb, summary, GITHUB_TOKEN=sb.info.read_token or "")
    result = sb.chainkit(
        "backfill", "plan", "--repo", "acme/widgets", "--tags", "v9.*", "-o", str(plan), "--json",
        env=read,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    digest = json.loads(result.stdout)["plan_digest"]
    token = sb.identity_token(environment=PROTECTED)
    env = actions_env(sb, summary, CHAINKIT_IDENTITY_TOKEN=token)
    result = apply(sb, plan, tmp_path / "state", "--expect-digest", digest, env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"]["signed"] == 0 and report["complete"] is True
    assert report["approval"].startswith(f"environment '{PROTECTED}'")
    # the sandbox's rule has prevent_self_review false and admins may bypass: both are said
    assert "prevent_self_review is off" in result.stderr
    assert "bypass" in result.stderr
    token = sb.identity_token(environment=UNPROTECTED)
    env = actions_env(sb, summary, CHAINKIT_IDENTITY_TOKEN=token)
    result = apply(sb, plan, tmp_path / "state2", "--expect-digest", digest, env=env)
    assert_refused(result, f"environment '{UNPROTECTED}'", "requires no reviewers")
    assert sb.writes() == []
