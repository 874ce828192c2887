"""The public entry points: one request in, one :class:`ScanOutcome` out."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from chainkit.errors import ExitCode
from chainkit.findings import Finding, Policy, Report, Severity, Tool
from chainkit.scan._bandit import bandit_tool, run_bandit
from chainkit.scan._baseline import (
    Baseline,
    BaselineEntry,
    Scanner,
    compare,
    load_baseline,
    write_baseline,
)
from chainkit.scan._errors import ScanInputError
from chainkit.scan._gitleaks import (
    Mode,
    gitleaks_tool,
    is_git_repository,
    resolve_gitleaks,
    run_gitleaks,
)
from chainkit.scan._proc import check_path_argument

__all__ = ["CodeScanRequest", "ScanOutcome", "SecretScanRequest", "scan_code", "scan_secrets"]

DEFAULT_TIMEOUT = 900.0  # the longest single wait chainkit allows (README: No silent waits)


@dataclass(frozen=True)
class CodeScanRequest:
    """``scan code``: ``paths`` (default the root) under ``root`` (where pyproject.toml and
    .bandit are read, and paths are reported relative to)."""

    paths: tuple[Path, ...] = ()
    root: Path = field(default_factory=Path)
    severity: Severity = Severity.LOW
    confidence: Severity = Severity.LOW
    baseline: Path | None = None
    write_baseline: Path | None = None
    timeout: float = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class SecretScanRequest:
    """``scan secrets``: ``source`` (a directory); ``history`` None means the git history
    when ``source`` is a repository root, else the files."""

    source: Path = field(default_factory=Path)
    history: bool | None = None
    config: Path | None = None
    gitleaks: Path | None = None
    baseline: Path | None = None
    write_baseline: Path | None = None
    timeout: float = DEFAULT_TIMEOUT
    env: Mapping[str, str] | None = None


@dataclass(frozen=True)
class ScanOutcome:
    """A scan's report (only findings not in the baseline), what the baseline accepted,
    and its stale entries."""

    scanner: Scanner
    report: Report
    accepted: int
    stale: tuple[BaselineEntry, ...]
    baseline: str | None
    written: str | None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # also in notes; logged as warnings

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.FINDINGS if self.report.blocking else ExitCode.OK


def _baseline_first(
    scanner: Scanner, baseline_path: Path | None, write_to: Path | None
) -> Baseline | None:
    """The baseline, read before the scan runs (a bad one is exit 2 at once)."""
    if write_to is not None:
        check_path_argument(write_to, what="--write-baseline")
    if baseline_path is None:
        return None
    check_path_argument(baseline_path, what="--baseline")
    return load_baseline(baseline_path, scanner=scanner)


def _finish(
    scanner: Scanner,
    tool: Tool,
    findings: tuple[Finding, ...],
    *,
    baseline: Baseline | None,
    write_to: Path | None,
    properties: dict[str, object],
    notes: tuple[str, ...],
    warnings: tuple[str, ...] = (),
) -> ScanOutcome:
    if write_to is not None:
        write_baseline(write_to, findings, scanner=scanner, previous=baseline)
        baseline = load_baseline(write_to, scanner=scanner)
    compared = compare(findings, baseline)
    applied = Policy().apply(compared.new, today=dt.date.today())
    stale = compared.stale
    properties = {
        **properties,
        "baseline": None
        if baseline is None
        else {
            "path": baseline.source,
            "accepted": len(compared.accepted),
            "stale": [
                {"fingerprint": e.fingerprint, "rule": e.rule, "path": e.path, "reason": e.reason}
                for e in stale
            ],
        },
    }
    report = Report(tool, applied.findings, fail_on="any", properties=properties)
    return ScanOutcome(
        scanner=scanner,
        report=report,
        accepted=len(compared.accepted),
        stale=stale,
        baseline=None if baseline is None else baseline.source,
        written=None if write_to is None else str(write_to),
        notes=(*notes, *(f"warning: {w}" for w in warnings)),
        warnings=warnings,
    )


def _inside(path: Path, root: Path) -> bool:
    full = os.path.normpath(path if path.is_absolute() else Path.cwd() / root / path)
    base = os.path.normpath(root.absolute())
    return full == base or full.startswith(base.rstrip(os.sep) + os.sep)


def code_root(paths: tuple[Path, ...], root: Path) -> tuple[Path, tuple[Path, ...]]:
    """The root that findings are reported relative to, and the paths under it: ``root``
    when every path lies inside it; else the one directory given (or the directory of the
    one file given) - so SARIF never holds an absolute path or ``..``, and fingerprints and
    baselines do not depend on where chainkit was run from."""
    if all(_inside(p, root) for p in paths):
        return root, paths
    if len(paths) == 1:
        (only,) = paths
        target = only if only.is_absolute() else root / only
        if target.is_dir() and not target.is_symlink():
            return target, ()
        if target.is_file() and not target.is_symlink():
            return target.parent, (Path(target.name),)
    raise ScanInputError(
        "paths outside the current directory: " + ", ".join(map(str, paths)),
        remediation="run chainkit from their common directory, or pass one directory (the "
        "root findings are reported relative to)",
    )


def scan_code(request: CodeScanRequest) -> ScanOutcome:
    """Run bandit with the project's configuration; compare with the baseline."""
    baseline = _baseline_first("code", request.baseline, request.write_baseline)
    for path in request.paths:
        check_path_argument(path, what="path")
    root, paths = code_root(request.paths, request.root)
    result = run_bandit(
        paths,
        root=root,
        severity=request.severity,
        confidence=request.confidence,
        timeout=request.timeout,
    )
    notes = [
        f"bandit configuration: {result.config.describe()}",
        f"{result.files_scanned} file(s) scanned; {result.excluded} file(s) or directories "
        "excluded by the configuration",
    ]
    if result.config.skips:
        notes.append(f"bandit tests skipped by the configuration: {', '.join(result.config.skips)}")
    if result.symlinks:
        notes.append(
            f"{len(result.symlinks)} symlink(s) not followed: {', '.join(result.symlinks[:20])}"
            + (" ..." if len(result.symlinks) > 20 else "")
        )
    if result.below_threshold:
        notes.append(
            f"{result.below_threshold} bandit result(s) below --severity "
            f"{request.severity.label} / --confidence {request.confidence.label} not shown"
        )
    return _finish(
        "code",
        bandit_tool(),
        result.findings,
        baseline=baseline,
        write_to=request.write_baseline,
        properties={
            "root": "." if root == request.root else root.name,
            "severity_threshold": request.severity.label,
            "confidence_threshold": request.confidence.label,
            "configuration": list(result.config.sources),
            "applied_configuration": result.config.applied(),
            "files_scanned": result.files_scanned,
            "excluded_files": result.excluded,
            "skipped_symlinks": list(result.symlinks),
            "below_threshold": result.below_threshold,
        },
        notes=tuple(notes),
    )


def scan_secrets(request: SecretScanRequest) -> ScanOutcome:
    """Run gitleaks (history or files); compare with the baseline."""
    check_path_argument(request.source, what="path")
    baseline = _baseline_first("secrets", request.baseline, request.write_baseline)
    env = request.env if request.env is not None else os.environ
    gitleaks = resolve_gitleaks(request.gitleaks, env=env)
    history = request.history
    if history is None:
        history = is_git_repository(request.source)
    mode: Mode = "git" if history else "dir"
    result = run_gitleaks(
        gitleaks, request.source, mode=mode, config=request.config, timeout=request.timeout
    )
    supp = result.suppressions
    notes = [
        f"gitleaks {gitleaks.version} ({gitleaks.source}) over "
        + ("the git history" if mode == "git" else "the files")
        + (f" with {result.config}" if result.config else " with its default rules")
    ]
    if supp is not None and supp.ignore_file:
        notes.append(
            f"{supp.ignore_file} applied ({supp.ignore_entries} entries): the findings it "
            "lists are not reported"
        )
    warnings = supp.warnings if supp is not None else ()
    if result.shallow:
        notes.append(
            "shallow clone: commits before its depth were not scanned (fetch the whole history, "
            "e.g. actions/checkout with fetch-depth: 0)"
        )
    if result.place_fingerprints:
        notes.append(
            f"{result.place_fingerprints} finding(s) fingerprinted by place: the secret could "
            "not be located again at the reported lines"
        )
    return _finish(
        "secrets",
        gitleaks_tool(gitleaks),
        result.findings,
        baseline=baseline,
        write_to=request.write_baseline,
        properties={
            "mode": mode,
            "configuration": supp.properties() if supp is not None else None,
            "shallow": result.shallow,
        },
        notes=tuple(notes),
        warnings=warnings,
    )
