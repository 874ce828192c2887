"""``chainkit audit``: dependency audit with pip-audit and a policy."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from chainkit._cli._report import deliver, step_summary
from chainkit.errors import ExitCode, UsageError

__all__ = ["audit"]

_log = logging.getLogger("chainkit.audit")

_FORMATS = ("table", "json", "sarif", "markdown", "cyclonedx")
_FAIL_ON = ("any", "low", "medium", "high", "critical")
_PATH = click.Path(path_type=Path, dir_okay=True, file_okay=True)


@click.command()
@click.argument("project_path", required=False, type=_PATH)
@click.option(
    "-r",
    "--requirement",
    "requirements",
    multiple=True,
    type=_PATH,
    help="A requirements file (repeatable; -r includes and hashes are honoured).",
)
@click.option(
    "--locked", is_flag=True, help="Audit PROJECT_PATH's lock files (pylock, uv, poetry)."
)
@click.option("--env", "use_env", is_flag=True, help="Audit the current Python environment.")
@click.option(
    "--service",
    type=click.Choice(["osv", "pypi"]),
    default="osv",
    show_default=True,
    envvar="CHAINKIT_AUDIT_SERVICE",
    help="Online vulnerability service. [env: CHAINKIT_AUDIT_SERVICE]",
)
@click.option(
    "--advisory-db",
    type=_PATH,
    envvar="CHAINKIT_AUDIT_ADVISORY_DB",
    help="Offline OSV database: a directory of records or an export zip. "
    "[env: CHAINKIT_AUDIT_ADVISORY_DB]",
)
@click.option(
    "--osv-url",
    envvar="CHAINKIT_AUDIT_OSV_URL",
    help="OSV query endpoint (a mirror), default https://api.osv.dev/v1/query. "
    "[env: CHAINKIT_AUDIT_OSV_URL]",
)
@click.option(
    "--policy",
    "policy_file",
    type=_PATH,
    envvar="CHAINKIT_AUDIT_POLICY",
    help="Policy TOML (default: [tool.chainkit.audit] in pyproject.toml). "
    "[env: CHAINKIT_AUDIT_POLICY]",
)
@click.option(
    "--fail-on",
    type=click.Choice(_FAIL_ON, case_sensitive=False),
    envvar="CHAINKIT_AUDIT_FAIL_ON",
    help="Exit 1 for findings at or above this severity (overrides the policy; default any). "
    "[env: CHAINKIT_AUDIT_FAIL_ON]",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_FORMATS),
    default="table",
    show_default=True,
    envvar="CHAINKIT_AUDIT_FORMAT",
    help="Report format. [env: CHAINKIT_AUDIT_FORMAT]",
)
@click.option("-o", "--output", type=_PATH, help="Write the report to this file instead of stdout.")
@click.option(
    "--summary",
    is_flag=True,
    envvar="CHAINKIT_AUDIT_SUMMARY",
    help="Append a Markdown report to $GITHUB_STEP_SUMMARY. [env: CHAINKIT_AUDIT_SUMMARY]",
)
@click.option(
    "--cache-dir",
    type=_PATH,
    envvar="CHAINKIT_AUDIT_CACHE_DIR",
    help="Cache for the advisory index and HTTP (default $XDG_CACHE_HOME/chainkit/audit). "
    "[env: CHAINKIT_AUDIT_CACHE_DIR]",
)
@click.option(
    "--timeout",
    type=click.IntRange(min=1),
    default=15,
    show_default=True,
    envvar="CHAINKIT_AUDIT_TIMEOUT",
    help="Seconds to wait for each request to a service. [env: CHAINKIT_AUDIT_TIMEOUT]",
)
def audit(
    project_path: Path | None,
    requirements: tuple[Path, ...],
    locked: bool,
    use_env: bool,
    service: str,
    advisory_db: Path | None,
    osv_url: str | None,
    policy_file: Path | None,
    fail_on: str | None,
    fmt: str,
    output: Path | None,
    summary: bool,
    cache_dir: Path | None,
    timeout: int,
) -> ExitCode:
    """Audit dependencies for known vulnerabilities, with a policy.

    Inputs: PROJECT_PATH (pyproject.toml, or its lock files with --locked), -r requirements
    files, or --env. Pinned inputs are audited as written; nothing is installed. Exit codes:
    0 nothing unignored at or above --fail-on, 1 findings, 2 bad input, 3 audit failed.
    """
    from chainkit.audit import (
        AuditRequest,
        FailOn,
        default_cache_dir,
        environment_input,
        load_policy,
        project_inputs,
        render,
        requirements_input,
        run_audit,
        summary_line,
        verdict,
    )

    if locked and project_path is None:
        project_path = Path()
    inputs = []
    if requirements:
        inputs.append(requirements_input(list(requirements)))
    if project_path is not None:
        inputs.extend(project_inputs(project_path, locked=locked))
    if use_env:
        inputs.append(environment_input())
    if not inputs:
        raise UsageError(
            "nothing to audit",
            remediation="pass -r requirements.txt, a PROJECT_PATH (add --locked for its lock "
            "files), or --env for the current environment",
        )
    if advisory_db is not None and (osv_url or service != "osv"):
        _log.warning(
            "--advisory-db is set: the offline database is used, not %s", osv_url or service
        )

    project_dir = Path()
    if project_path is not None:
        project_dir = project_path if project_path.is_dir() else project_path.parent
    policy = load_policy(policy_file, project_dir=project_dir)
    policy = policy.with_fail_on(FailOn(fail_on.lower()) if fail_on else None)

    request = AuditRequest(
        inputs=tuple(inputs),
        service="pypi" if service == "pypi" else "osv",
        advisory_db=advisory_db,
        osv_url=osv_url,
        cache_dir=cache_dir or default_cache_dir(),
        timeout=timeout,
    )
    report = run_audit(request, policy)

    for skipped in report.skipped:
        _log.warning("not audited: %s (%s): %s", skipped.name, skipped.source, skipped.reason)
    deliver(output, render(report, fmt))
    step_summary(summary, lambda: render(report, "markdown"))
    _log.info("%s; %s", summary_line(report), verdict(report))
    if report.exit_code == ExitCode.FAILURE:
        _log.error("nothing was audited: every package was skipped (see the warnings above)")
    return report.exit_code
