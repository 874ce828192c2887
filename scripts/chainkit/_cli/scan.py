"""``chainkit scan code`` (bandit) and ``chainkit scan secrets`` (gitleaks)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from chainkit._cli._report import deliver, step_summary
from chainkit.errors import ExitCode

__all__ = ["scan"]

_log = logging.getLogger("chainkit.scan")

F = TypeVar("F", bound=Callable[..., Any])
_FORMATS = ("table", "json", "sarif", "markdown")
_LEVELS = ("low", "medium", "high")
_PATH = click.Path(path_type=Path, dir_okay=True, file_okay=True)
_FILE = click.Path(path_type=Path, dir_okay=False)


def _report_options(func: F) -> F:
    """--baseline, --write-baseline, --format, -o and --summary (both commands)."""
    for decorator in reversed(
        [
            click.option(
                "--baseline",
                type=_FILE,
                help="Report only findings not in this baseline; list its stale entries.",
            ),
            click.option(
                "--write-baseline",
                type=_FILE,
                help="Record today's findings as the accepted baseline in this file.",
            ),
            click.option(
                "--format",
                "fmt",
                type=click.Choice(_FORMATS),
                default="table",
                show_default=True,
                help="Report format.",
            ),
            click.option(
                "-o", "--output", type=_PATH, help="Write the report to this file, not stdout."
            ),
            click.option(
                "--summary", is_flag=True, help="Append a Markdown report to $GITHUB_STEP_SUMMARY."
            ),
        ]
    ):
        func = decorator(func)
    return func


def _emit(outcome: Any, fmt: str, output: Path | None, summary: bool) -> ExitCode:
    from chainkit.scan import render, summary_line

    deliver(output, render(outcome, fmt))
    step_summary(summary, lambda: render(outcome, "markdown"))
    if outcome.written is not None:
        _log.info("baseline written to %s", outcome.written)
    for note in outcome.notes:
        if note.startswith("shallow clone"):
            _log.warning("%s", note)
    for warning in outcome.warnings:
        _log.warning("%s", warning)
    for entry in outcome.stale:
        _log.warning(
            "stale baseline entry (no longer found): %s %s %s",
            entry.path,
            entry.rule,
            entry.fingerprint[:16],
        )
    _log.info("%s; %s", summary_line(outcome), outcome.report.verdict())
    return ExitCode(outcome.exit_code)


@click.group()
def scan() -> None:
    """Scan the code (bandit) and the secrets in the history (gitleaks), with baselines.

    Exit codes: 0 nothing new, 1 new findings, 2 bad input, 3 a scanner failed or is missing.
    """


@scan.command("code")
@click.argument("paths", nargs=-1, type=_PATH)
@click.option(
    "--severity",
    type=click.Choice(_LEVELS, case_sensitive=False),
    default="low",
    show_default=True,
    help="Report bandit results of at least this severity.",
)
@click.option(
    "--confidence",
    type=click.Choice(_LEVELS, case_sensitive=False),
    default="low",
    show_default=True,
    help="Report bandit results of at least this confidence.",
)
@_report_options
def code(
    paths: tuple[Path, ...],
    severity: str,
    confidence: str,
    baseline: Path | None,
    write_baseline: Path | None,
    fmt: str,
    output: Path | None,
    summary: bool,
) -> ExitCode:
    """Find dangerous Python patterns with bandit (default PATH: the current directory).

    bandit's configuration is read from [tool.bandit] in ./pyproject.toml and ./.bandit (only
    exclude_dirs/exclude, skips, tests; other keys are refused), and `# reason  # nosec BXXX`
    comments are honoured (a nosec without a reason is a finding). Symlinks are not followed;
    nothing to scan is exit 2.
    """
    from chainkit.findings import Severity
    from chainkit.scan import CodeScanRequest, scan_code

    request = CodeScanRequest(
        paths=paths,
        root=Path(),
        severity=Severity.parse(severity),
        confidence=Severity.parse(confidence),
        baseline=baseline,
        write_baseline=write_baseline,
    )
    return _emit(scan_code(request), fmt, output, summary)


@scan.command("secrets")
@click.argument("path", required=False, type=_PATH)
@click.option(
    "--history/--no-history",
    default=None,
    help="Scan the git history (gitleaks git) or only the files (gitleaks dir). "
    "Default: the history when PATH is a repository root.",
)
@click.option("--config", type=_FILE, help="gitleaks configuration (default PATH/.gitleaks.toml).")
@click.option(
    "--gitleaks",
    "gitleaks_path",
    type=_FILE,
    help="The gitleaks 8 binary (default: $CHAINKIT_GITLEAKS, then gitleaks on PATH).",
)
@_report_options
def secrets(
    path: Path | None,
    history: bool | None,
    config: Path | None,
    gitleaks_path: Path | None,
    baseline: Path | None,
    write_baseline: Path | None,
    fmt: str,
    output: Path | None,
    summary: bool,
) -> ExitCode:
    """Find committed secrets with gitleaks (default PATH: the current directory).

    Secret values never appear in any output, log, report or baseline: only the rule, the
    place, the commit and a fingerprint. The configuration, .gitleaksignore and an allowlist
    matching everything are said in every format; an inline allow marker without a reason
    is a finding.
    """
    from chainkit.scan import SecretScanRequest, scan_secrets

    request = SecretScanRequest(
        source=path or Path(),
        history=history,
        config=config,
        gitleaks=gitleaks_path,
        baseline=baseline,
        write_baseline=write_baseline,
    )
    return _emit(scan_secrets(request), fmt, output, summary)
