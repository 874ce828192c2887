"""``chainkit workflow run``: run a workflow or composite action locally (docs/local-runner.md)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from chainkit._cli._options import json_option
from chainkit._internal.output import append_step_summary, emit_json, emit_text
from chainkit.errors import ExitCode, UsageError

__all__ = ["workflow"]


@click.group()
def workflow() -> None:
    """Run GitHub Actions workflows and composite actions locally (Local = CI)."""


def _parse_inputs(values: tuple[str, ...]) -> dict[str, str]:
    inputs: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(
                f"--input {item!r} is not NAME=VALUE", remediation="e.g. --input dry-run=true"
            )
        if name in inputs:
            raise UsageError(f"--input {name} given twice")
        inputs[name] = value
    return inputs


@workflow.command("run")
@click.argument("workflow_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--input", "inputs", multiple=True, metavar="NAME=VALUE", help="An input (repeat).")
@click.option("--job", "jobs", multiple=True, metavar="NAME", help="Run this job (and its needs).")
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="GITHUB_WORKSPACE: the caller's checkout.",
)
@click.option(
    "--artifacts",
    type=click.Path(file_okay=False, path_type=Path),
    default=".chainkit-artifacts",
    show_default=True,
    help="Folder that stands in for the run's artifacts.",
)
@click.option(
    "--oidc",
    type=click.Choice(["none", "sandbox"]),
    default="none",
    show_default=True,
    help="sandbox: jobs granted id-token: write get the sandbox's OIDC endpoint.",
)
@json_option("The run's result (jobs, outputs, steps, summaries) as JSON on stdout.")
def run(
    workflow_file: Path,
    inputs: tuple[str, ...],
    jobs: tuple[str, ...],
    workspace: Path,
    artifacts: Path,
    oidc: str,
    as_json: bool,
) -> ExitCode:
    """Run WORKFLOW_FILE (a workflow or an action.yml) like GitHub Actions would.

    Needs GITHUB_API_URL, GITHUB_REPOSITORY and GITHUB_TOKEN (the real GitHub or the
    sandbox). Exit 0: every job succeeded; 1: a job failed; 2: a bad workflow or inputs;
    3: Node.js or js/node_modules missing.
    """
    from chainkit.workflow import run_workflow

    result = run_workflow(
        workflow_file,
        inputs=_parse_inputs(inputs),
        jobs=list(jobs) or None,
        workspace=workspace,
        artifacts_dir=artifacts,
        environ=dict(os.environ),
        oidc=oidc,
        oidc_secret=_sandbox_oidc_secret,
    )
    if os.environ.get("GITHUB_ACTIONS", "").lower() == "true":
        # Run inside Actions: the jobs' step summaries become this step's summary.
        summary = "".join(result.summaries.values())
        target = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary and target:
            append_step_summary(summary, path=Path(target))
    if as_json:
        emit_json(result.to_json())
    else:
        lines = [f"{name}: {job.result}" for name, job in result.jobs.items()]
        # one line per output: a newline in a value never forges a result line
        lines += [
            f"output {k}={v}".replace("\r", "\\r").replace("\n", "\\n")
            for k, v in result.outputs.items()
        ]
        emit_text("\n".join(lines) + "\n")
    return ExitCode.OK if result.ok else ExitCode.FINDINGS


def _sandbox_oidc_secret(api_url: str) -> str:
    """The OIDC admin secret of the sandbox at ``api_url``: one running in this process, or a
    background one whose state directory is ``CHAINKIT_SANDBOX_DIR`` or ``.chainkit-sandbox``."""
    from chainkit.sandbox import DEFAULT_DIR, oidc_admin_secret

    directories = tuple(
        Path(d) for d in (os.environ.get("CHAINKIT_SANDBOX_DIR", ""), str(DEFAULT_DIR)) if d
    )
    return oidc_admin_secret(api_url, directories) or ""
