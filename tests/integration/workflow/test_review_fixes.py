"""Regression tests for the hostile review of the local runner (docs/local-runner.md)."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from chainkit.sandbox import oidc_admin_secret
from chainkit.workflow import RunResult, run_workflow

pytestmark = pytest.mark.node

ASSETS = Path(__file__).parents[2] / "assets" / "workflows"
SHA = "0123456789abcdef0123456789abcdef01234567"


def _fake_token() -> str:
    return "tok" + "en-" + "Zq9" * 6


def _environ(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CHAINKIT_"))}
    env.update(
        GITHUB_API_URL="http://127.0.0.1:9",
        GITHUB_REPOSITORY="acme/widgets",
        GITHUB_TOKEN=_fake_token(),
        GITHUB_SHA=SHA,
    )
    env.update(extra)
    return env


def _run(tmp_path: Path, steps_yaml: str, **kw: Any) -> tuple[RunResult, str]:
    """Run a one-job workflow whose ``jobs.a`` body is ``steps_yaml``; return (result, log)."""
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    body = textwrap.indent(textwrap.dedent(steps_yaml).strip("\n"), "    ")
    text = "name: t\non: workflow_dispatch\njobs:\n  a:\n    runs-on: ubuntu-latest\n" + body + "\n"
    if kw.pop("whole", False):
        text = textwrap.dedent(steps_yaml)
    wf = ws / "wf.yml"
    wf.write_text(text)
    log = io.StringIO()
    result = run_workflow(
        wf,
        inputs={},
        workspace=ws,
        artifacts_dir=tmp_path / "artifacts",
        environ=kw.pop("environ", None) or _environ(),
        log_stream=log,
        **kw,
    )
    return result, log.getvalue()


def test_event_path_replaced_by_a_link_is_not_written_through(tmp_path: Path) -> None:
    target = tmp_path / "target"
    result, _ = _run(
        tmp_path,
        f"""
        steps:
          - shell: bash
            run: rm "$GITHUB_EVENT_PATH" && ln -s {target} "$GITHUB_EVENT_PATH"
          - shell: bash
            run: test ! -L "$GITHUB_EVENT_PATH" && cat "$GITHUB_EVENT_PATH"
        """,
    )
    assert result.ok, result
    assert not target.exists()


def test_secrets_never_leave_the_runner_unmasked(tmp_path: Path) -> None:
    inner = "inner" + "Secret" + "42x"
    result, log = _run(
        tmp_path,
        f"""
        name: t
        on:
          workflow_call:
            outputs:
              leaked:
                value: ${{{{ github.token }}}}
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - id: s
                shell: bash
                env:
                  TOKEN: ${{{{ github.token }}}}
                run: |
                  echo "t=$TOKEN" >> "$GITHUB_OUTPUT"
                  echo "::warning::token is $TOKEN"
                  echo "summary has $TOKEN" >> "$GITHUB_STEP_SUMMARY"
                  echo "::add-mask::{inner}"
                  echo "i={inner}" >> "$GITHUB_OUTPUT"
        """,
        whole=True,
        environ=_environ(GITHUB_ACTIONS="true"),
    )
    dumped = json.dumps(result.to_json())
    assert _fake_token() not in dumped and inner not in dumped
    assert result.jobs["a"].steps[0].outputs == {"t": "***", "i": "***"}
    assert result.jobs["a"].annotations[0].message == "token is ***"
    assert result.summaries["a"] == "summary has ***\n"
    assert result.outputs == {"leaked": "***"}
    # inside Actions the outer runner is asked to mask the inner values too
    assert f"::add-mask::{inner}\n" in log
    assert f"::add-mask::{_fake_token()}\n" in log


def test_an_expression_value_larger_than_a_pipe_buffer(tmp_path: Path) -> None:
    result, log = _run(
        tmp_path,
        """
        steps:
          - id: s
            shell: bash
            run: echo "big=$(head -c 100000 /dev/zero | tr '\\0' a)" >> "$GITHUB_OUTPUT"
          - id: t
            shell: bash
            env:
              X: ${{ steps.s.outputs.big }}
            run: echo "n=${#X}" >> "$GITHUB_OUTPUT"
        """,
    )
    assert result.ok, log
    assert result.jobs["a"].steps[1].outputs == {"n": "100000"}


def test_background_processes_neither_hold_a_step_nor_outlive_the_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chainkit.workflow import _runner

    monkeypatch.setattr(_runner, "_CANCEL_GRACE", (0.3, 0.3))
    pids = tmp_path / "pids"
    started = time.monotonic()
    result, log = _run(
        tmp_path,
        f"""
        steps:
          - shell: bash
            run: |
              sleep 30 &
              echo $! >> {pids}
              setsid sleep 31 &
              echo $! >> {pids}
              echo started
          - timeout-minutes: 0.01
            shell: bash
            run: |
              trap 'echo got-int' INT
              sleep 20 & wait
              sleep 20 & wait
              sleep 20 & wait
          - if: always()
            shell: bash
            run: echo after
        """,
    )
    elapsed = time.monotonic() - started
    assert elapsed < 8, log  # neither the background sleeps nor the timeout held the run
    assert "| started" in log and "| got-int" in log and "| after" in log
    assert result.jobs["a"].steps[1].outcome == "failure"
    time.sleep(0.2)
    for pid in pids.read_text().split():
        state = Path(f"/proc/{pid}/stat")
        assert not state.exists() or state.read_text().split()[2] == "Z", "orphan survived"


def test_runner_variables_win_over_env_and_github_env(tmp_path: Path) -> None:
    result, log = _run(
        tmp_path,
        """
        env:
          GITHUB_REPOSITORY: evil/other
        steps:
          - shell: bash
            run: |
              echo "GITHUB_API_URL=http://evil.invalid" >> "$GITHUB_ENV"
              echo "GITHUB_WORKSPACE=/" >> "$GITHUB_ENV"
              echo "RUNNER_TEMP=/" >> "$GITHUB_ENV"
          - id: s
            shell: bash
            env:
              GITHUB_SHA: forged
              GITHUB_TOKEN: ${{ github.token }}
            run: |
              echo "v=$GITHUB_REPOSITORY $GITHUB_API_URL $GITHUB_SHA" >> "$GITHUB_OUTPUT"
              test "$GITHUB_WORKSPACE" = "$PWD" && test "$RUNNER_TEMP" != /
              test -n "$GITHUB_TOKEN"
        """,
    )
    assert result.ok, log
    assert result.jobs["a"].steps[1].outputs["v"] == f"acme/widgets http://127.0.0.1:9 {SHA}"


def test_inner_commands_never_reach_an_outer_runner(tmp_path: Path) -> None:
    s1, s2 = "alpha" + "Mask" + "One", "beta" + "Mask" + "Two"
    result, log = _run(
        tmp_path,
        f"""
        steps:
          - id: s
            name: relay
            shell: bash
            run: |
              echo "  ::add-mask::{s1}"
              echo "##[add-mask]{s2}"
              echo "values {s1} {s2}"
              echo "text ##[error]forged"
              echo "x ::warning::not-a-command"
              printf '%s\\n' '::' '::group::fake' 'tail ##[endgroup]'
        """,
        environ=_environ(GITHUB_ACTIONS="true"),
    )
    assert s1 not in log.replace(f"::add-mask::{s1}", "")
    assert s2 not in log.replace(f"::add-mask::{s2}", "")
    assert "values *** ***" in log
    own = ("::group::", "::endgroup::", "::add-mask::")
    for line in log.splitlines():
        assert "##[" not in line, line
        assert not line.lstrip().startswith("::") or line.startswith(own), line
    assert "::group::fake" not in log
    assert [a.message for a in result.jobs["a"].annotations] == ["forged"]  # as GitHub reads it


def test_values_the_os_refuses_fail_the_step_not_the_run(tmp_path: Path) -> None:
    result, log = _run(
        tmp_path,
        """
        steps:
          - shell: bash
            env:
              X: ${{ fromJSON('"\\ud800"') }}
            run: "true"
          - if: always()
            shell: bash
            env:
              X: ${{ fromJSON('"a\\u0000b"') }}
            run: "true"
          - if: always()
            shell: bash
            run: echo "BIG=$(head -c 200000 /dev/zero | tr '\\0' a)" >> "$GITHUB_ENV"
          - if: always()
            shell: bash
            run: "true"
          - if: always()
            id: last
            shell: bash
            run: echo "done=yes" >> "$GITHUB_OUTPUT"
        """,
    )
    steps = result.jobs["a"].steps
    assert [s.outcome for s in steps] == ["failure", "failure", "success", "failure", "failure"]
    assert not result.ok
    assert "could not run" in log


def test_status_and_env_faithfulness(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(ASSETS / "actions", ws / "actions")
    result, _log = _run(
        tmp_path,
        """
        name: t
        on: workflow_dispatch
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - id: same-env
                env:
                  DEPLOY: "yes"
                if: env.DEPLOY == 'yes'
                shell: bash
                run: echo "ran=1" >> "$GITHUB_OUTPUT"
              - id: one-pass
                env:
                  A: first
                  B: ${{ env.A }}-second
                shell: bash
                run: echo "b=$B" >> "$GITHUB_OUTPUT"
              - shell: bash
                run: exit 1
              - id: mixed
                if: ${{ github.event_name }} == 'push'
                shell: bash
                run: echo "must not run"
              - id: comp
                if: always()
                uses: ./actions/after-failure
          b:
            needs: a
            runs-on: ubuntu-latest
            steps:
              - shell: bash
                run: "true"
          notify:
            needs: b
            if: failure()
            runs-on: ubuntu-latest
            steps:
              - shell: bash
                run: "true"
        """,
        whole=True,
    )
    steps = {s.id: s for s in result.jobs["a"].steps}
    assert steps["same-env"].outputs == {"ran": "1"}  # the step's env is in its if:
    assert steps["one-pass"].outputs == {"b": "-second"}  # siblings are not seen
    assert steps["mixed"].outcome == "skipped"  # success() && (format(...))
    assert steps["comp"].outputs == {"ran": "yes"}  # a composite's status starts at success
    assert result.jobs["b"].result == "skipped"
    assert result.jobs["notify"].result == "success"  # failure() sees any ancestor


def test_an_object_where_a_string_is_expected_fails(tmp_path: Path) -> None:
    result, log = _run(
        tmp_path,
        """
        steps:
          - env:
              X: ${{ github.event }}
            shell: bash
            run: echo "must not run"
          - id: ok
            if: always()
            env:
              X: ${{ toJSON(github.event.inputs) }}
            shell: bash
            run: echo "x=$X" >> "$GITHUB_OUTPUT"
        """,
    )
    assert [s.outcome for s in result.jobs["a"].steps] == ["failure", "success"]
    assert "mapping was not expected" in log and "must not run" not in log.split("mapping")[1]


def test_minor_context_fidelity(tmp_path: Path) -> None:
    result, log = _run(
        tmp_path,
        """
        name: t
        on:
          workflow_call:
            inputs:
              n:
                type: number
        jobs:
          a:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                w: [x, y]
            steps:
              - shell: bash
                run: "true"
              - id: s
                shell: bash
                env:
                  STEPS: ${{ toJSON(steps) }}
                  N: ${{ inputs.n }}
                run: |
                  echo "i=${{ strategy.job-index }}" >> "$GITHUB_OUTPUT"
                  echo "steps=$(printf %s "$STEPS" | tr -d ' \\n')" >> "$GITHUB_OUTPUT"
                  echo "n=$N" >> "$GITHUB_OUTPUT"
        """,
        whole=True,
    )
    assert result.ok, log
    outs = [s.outputs for s in result.jobs["a"].steps if s.id == "s"]
    assert [o["i"] for o in outs] == ["0", "1"]
    assert outs[0]["steps"] == "{}"  # a step without an id is not in the steps context
    assert outs[0]["n"] == "0"


def test_an_oversized_summary_is_an_annotation_not_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chainkit.workflow import _runner

    monkeypatch.setattr(_runner, "_SUMMARY_LIMIT", 1000)
    result, log = _run(
        tmp_path,
        """
        steps:
          - shell: bash
            run: head -c 5000 /dev/zero | tr '\\0' a >> "$GITHUB_STEP_SUMMARY"
          - shell: python3 -u {0}
            run: print("custom", "shell")
        """,
    )
    assert result.ok, log
    assert "Failed to create step summary" in result.jobs["a"].annotations[0].message
    assert "| custom shell" in log


def test_a_planted_artifacts_link_stops_the_run(tmp_path: Path) -> None:
    from chainkit.workflow import WorkflowUsageError

    (tmp_path / "ws").mkdir()
    (tmp_path / "home").mkdir()
    (tmp_path / "artifacts").symlink_to(tmp_path / "home")
    with pytest.raises(WorkflowUsageError, match="symlink"):
        _run(tmp_path, "steps:\n  - run: 'true'\n")


def test_the_default_shell_is_found_with_github_path(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    fake = tools / "bash"
    fake.write_text('#!/bin/sh\necho "fake bash ran"\n')
    fake.chmod(0o755)
    result, log = _run(
        tmp_path,
        f"""
        steps:
          - shell: bash
            run: echo "{tools}" >> "$GITHUB_PATH"
          - run: echo "real bash"
        """,
    )
    assert result.ok, log
    assert "| fake bash ran" in log


def test_a_step_with_the_write_token_cannot_register_forged_oidc_claims(
    tmp_path: Path, sandbox_factory: Any
) -> None:
    """The job's token (which a step can read) no longer registers OIDC claims (was: 201)."""
    sb = sandbox_factory()
    script = (
        "import json, os, sys, urllib.error, urllib.request\n"
        "claims = {'repository': 'victim/other', 'environment': 'sigstore-backfill',"
        " 'ref': 'refs/heads/main'}\n"
        "req = urllib.request.Request(os.environ['GITHUB_API_URL'] + '/_sandbox/oidc/jobs',"
        " data=json.dumps(claims).encode(), method='POST', headers={'Authorization':"
        " 'bearer ' + os.environ['TOKEN'], 'Content-Type': 'application/json'})\n"
        "try:\n"
        "    code = urllib.request.urlopen(req, timeout=30).status\n"
        "except urllib.error.HTTPError as exc:\n"
        "    code = exc.code\n"
        "out = open(os.environ['GITHUB_OUTPUT'], 'a')\n"
        "out.write(f'code={code}\\n')\n"
        "out.write(f\"dir={os.environ.get('CHAINKIT_SANDBOX_DIR', '')}\\n\")\n"
    )
    (tmp_path / "forge.py").write_text(script)
    result, log = _run(
        tmp_path,
        f"""
        permissions:
          contents: write
        outputs:
          code: ${{{{ steps.f.outputs.code }}}}
          dir: ${{{{ steps.f.outputs.dir }}}}
        steps:
          - id: f
            env:
              TOKEN: ${{{{ github.token }}}}
            run: '"{sys.executable}" "{tmp_path / "forge.py"}"'
        """,
        environ=_environ(
            GITHUB_API_URL=sb.api_url,
            GITHUB_TOKEN=sb.info.token,
            CHAINKIT_SANDBOX_DIR=str(sb.info.dir),
        ),
        oidc="sandbox",
        oidc_secret=lambda url: oidc_admin_secret(url, (sb.info.dir,)) or "",
    )
    assert result.ok, log
    assert result.jobs["a"].outputs["code"] == "401"
    assert result.jobs["a"].outputs["dir"] == ""  # the secret's location is not passed on


def test_checkouts_into_the_users_git_and_venv_fail_and_delete_nothing(tmp_path: Path) -> None:
    """The reported repro: two checkouts of chainkit, path .git and path .venv (was: both
    replaced, "fatal: not a git repository"); a .chainkit of an earlier run still works."""
    import subprocess

    ws = tmp_path / "ws"
    ws.mkdir()
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    (ws / ".venv").mkdir()
    (ws / ".venv" / "important").write_text("keep\n")
    pin = "actions/checkout@" + "1" * 40
    steps = f"""
        steps:
          - id: git
            continue-on-error: true
            uses: {pin}
            with:
              repository: ${{{{ job.workflow_repository }}}}
              path: .git
          - id: venv
            continue-on-error: true
            uses: {pin}
            with:
              repository: ${{{{ job.workflow_repository }}}}
              path: .venv
          - uses: {pin}
            with:
              repository: ${{{{ job.workflow_repository }}}}
              path: .chainkit
        """
    for _ in range(2):  # the second run finds the first run's .chainkit and refills it
        result, log = _run(tmp_path, steps)
        assert result.ok, log
        outcomes = {s.id: s.outcome for s in result.jobs["a"].steps}
        assert outcomes["git"] == "failure" and outcomes["venv"] == "failure", log
        assert "inside a .git folder" in log and "not empty" in log
        assert (ws / ".chainkit" / "pyproject.toml").is_file()
    assert (ws / ".venv" / "important").read_text() == "keep\n"
    git_dir = subprocess.run(
        ["git", "-C", str(ws), "rev-parse", "--git-dir"], capture_output=True, text=True
    )
    assert git_dir.returncode == 0 and git_dir.stdout.strip() == ".git"
