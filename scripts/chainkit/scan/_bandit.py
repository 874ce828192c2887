"""``scan code``: bandit, run as ``python -m bandit`` with its JSON report, turned into
:class:`chainkit.findings.Finding`s.

bandit runs isolated (``python -I``): a ``bandit.py`` or ``bandit/`` in the scanned
directory is never imported in its place.

bandit's configuration - ``[tool.bandit]`` in the root's ``pyproject.toml`` and a
``.bandit`` INI file at the root - is read by chainkit and passed on vetted (see
``_bandit_config``); the files are enumerated by chainkit (never through a symlink) and
given to bandit by name; ``# nosec`` comments are applied by bandit. A ``# nosec`` must say
why in the same comment (``# fixed argument list  # nosec B603``: bandit reads what follows
``nosec`` up to the next ``#`` as test ids); one without a reason is a finding of the rule
``nosec-without-reason``. Files bandit could not scan (a syntax error) are findings of the
rule ``scan-error``: never silently dropped.

A code finding's fingerprint is its test id, its path (relative to the root), a digest of
its own source lines with whitespace normalised, and an occurrence index among identical
ones in the same file: it survives line shifts and edits elsewhere in the file. For the
tests that flag a secret in the line (:data:`SECRET_BEARING`: hardcoded passwords) the
digest is the slow, salted scrypt digest the secrets scanner uses, so the fingerprint of a
``password = "hunter2"`` line cannot be reversed with a dictionary at one SHA-256 a guess.

bandit's own text is never published as it is: a rule's description is bandit's test name
and a fixed sentence (never one result's ``issue_text``), and a result's message has every
quoted literal replaced by ``'…'`` (``Possible hardcoded password: '<the password>'``);
the messages of :data:`SECRET_BEARING` tests are fixed text.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import re
import sys
import tokenize
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainkit._internal.fs import TooLargeError, read_bounded
from chainkit._internal.output import printable
from chainkit.findings import Finding, Location, Region, Rule, Severity, Tool, fingerprint
from chainkit.scan._bandit_config import BanditConfig, load_config, python_files, write_config
from chainkit.scan._common import (
    private_report_file,
    relative_posix,
    report_int,
    report_list,
    report_name,
    secret_digest,
    snippet_digest,
)
from chainkit.scan._errors import ScanInputError, ToolError
from chainkit.scan._proc import check_path_argument, run, tool_env

__all__ = [
    "NOSEC_RULE",
    "SCAN_ERROR_RULE",
    "SECRET_BEARING",
    "BanditRun",
    "bandit_tool",
    "nosec_findings",
    "run_bandit",
    "to_findings",
]

# the name of the fingerprint scheme in SARIF partialFingerprints (bump it when inputs change)
FINGERPRINT_SCHEME = "chainkitScanCode/v1"
MAX_REPORT_BYTES = 256 * 1024 * 1024
MAX_SOURCE_BYTES = 16 * 1024 * 1024
_Result = dict[str, Any]  # one entry of bandit's "results"
_LINE = re.compile(r"(\d+) ?(.*)")
_LEVELS = {"LOW": Severity.LOW, "MEDIUM": Severity.MEDIUM, "HIGH": Severity.HIGH}
# bandit tests whose finding is a secret in the line itself: fixed messages, scrypt digests
SECRET_BEARING = {
    "B105": "possible hardcoded password in a string (the value is not shown)",
    "B106": "possible hardcoded password passed as an argument (the value is not shown)",
    "B107": "possible hardcoded password as an argument default (the value is not shown)",
}
# a quoted literal in bandit's text: '...' or "..." (with escapes), prefixed or not
_QUOTED = re.compile(r"""[rbuRBUfF]{0,2}('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")""")

SCAN_ERROR_RULE = Rule(
    id="scan-error",
    name="file_not_scanned",
    tool="bandit",
    short_description="bandit could not scan this file",
    help_text="bandit could not parse or read the file, so nothing in it was checked. Fix the "
    "file (bandit parses the Python version it runs on) or exclude it in [tool.bandit].",
    default_severity=Severity.HIGH,
)


NOSEC_RULE = Rule(
    id="nosec-without-reason",
    name="nosec_without_reason",
    tool="bandit",
    short_description="a # nosec comment gives no reason",
    help_text="Say why the result is accepted in the same comment, before the directive: "
    "`# fixed argument list, no shell  # nosec B603`.",
    default_severity=Severity.LOW,
)
_NOSEC = re.compile(r"#\s*nosec\b:?[^#]*", re.IGNORECASE)
_NOQA = re.compile(r"#\s*noqa\b(:\s*[A-Z]+[0-9]+(\s*,\s*[A-Z]+[0-9]+)*)?", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z]{3,}")


def _reasonless_nosec(comment: str) -> bool:
    if not _NOSEC.search(comment):
        return False
    rest = _NOQA.sub(" ", _NOSEC.sub(" ", comment))
    return _WORD.search(rest) is None


def nosec_findings(files: list[str], *, root: Path) -> list[Finding]:
    """A finding for each ``# nosec`` comment without a reason in ``files`` (as bandit
    named them, relative to ``root``)."""
    out: list[Finding] = []
    for name in sorted(files):
        path = relative_posix(name, root)
        if path.startswith(("../", "/")) or path == "..":
            continue  # never outside the root
        try:
            data = read_bounded(root / path, MAX_SOURCE_BYTES, follow_symlinks=False)
            tokens = list(tokenize.tokenize(io.BytesIO(data).readline))
        except (OSError, TooLargeError, SyntaxError, tokenize.TokenError):
            continue  # bandit reports files it cannot parse (scan-error); never a symlink
        seen: dict[str, int] = defaultdict(int)
        for tok in tokens:
            if tok.type != tokenize.COMMENT or not _reasonless_nosec(tok.string):
                continue
            digest = snippet_digest([tok.line.strip()])
            occurrence = seen[digest]
            seen[digest] += 1
            out.append(
                Finding(
                    rule=NOSEC_RULE,
                    message=f"{path}:{tok.start[0]}: # nosec without a reason",
                    fingerprint=fingerprint(NOSEC_RULE.id, path, digest, str(occurrence)),
                    severity=Severity.LOW,
                    locations=(Location(path, Region(tok.start[0], tok.start[1] + 1)),),
                )
            )
    return out


@dataclass(frozen=True)
class BanditRun:
    """What bandit found at or above the thresholds, and how it was configured."""

    findings: tuple[Finding, ...]
    files_scanned: int
    config: BanditConfig
    below_threshold: int
    excluded: int = 0
    symlinks: tuple[str, ...] = ()


def bandit_tool() -> Tool:
    try:
        version = importlib.metadata.version("bandit")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a dependency
        version = "unknown"
    return Tool(
        name="bandit",
        version=version,
        information_uri="https://bandit.readthedocs.io/",
        fingerprint_key=FINGERPRINT_SCHEME,
        automation_id="chainkit/scan/code/",
    )


_REPORT = "bandit's JSON report"


def _line(result: _Result) -> int:
    return report_int(result, "line_number", 1, report=_REPORT)


def _name(result: _Result, key: str, default: str) -> str:
    return report_name(str(result.get(key) or default), key, report=_REPORT)


def _own_lines(result: _Result) -> list[str]:
    wanted = {n for n in report_list(result, "line_range", report=_REPORT) if isinstance(n, int)}
    out: list[str] = []
    for raw in str(result.get("code") or "").splitlines():
        m = _LINE.fullmatch(raw)
        if m and int(m.group(1)) in wanted:
            out.append(m.group(2))
    return out


def _rule(result: _Result) -> Rule:
    """The rule of a result, from bandit's static fields only (test id and name, CWE,
    documentation link): never from the result's own text, which can quote the code."""
    test_id = printable(str(result.get("test_id") or "bandit"))[:100]
    test_name = printable(str(result.get("test_name") or test_id))[:200]
    cwe = result.get("issue_cwe") if isinstance(result.get("issue_cwe"), dict) else {}
    tags = ["security", "bandit"]
    if isinstance(cwe, dict) and isinstance(cwe.get("id"), int):
        tags.append(f"external/cwe/cwe-{cwe['id']}")
    more = result.get("more_info")
    return Rule(
        id=test_id,
        name=test_name,
        tool="bandit",
        short_description=test_name,
        help_text=f"bandit test {test_id} ({test_name}) flagged this code; see bandit's "
        "documentation of the test for what it looks for and how to fix it.",
        help_uri=str(more) if isinstance(more, str) and more.startswith("https://") else None,
        default_severity=_LEVELS.get(str(result.get("issue_severity")).upper()),
        tags=tuple(tags),
    )


def _message(result: _Result, rule: Rule) -> str:
    """bandit's message with every quoted literal replaced (it may quote a secret); fixed
    text for the tests that flag a secret."""
    if rule.id in SECRET_BEARING:
        return SECRET_BEARING[rule.id]
    text = str(result.get("issue_text") or rule.short_description)[:1000]
    return _QUOTED.sub("'…'", text)


def _at_or_above(level: str, threshold: Severity) -> bool:
    value = _LEVELS.get(level.upper())
    return value is None or value >= threshold


def to_findings(
    data: Any, *, root: Path, severity: Severity, confidence: Severity
) -> tuple[list[Finding], int]:
    """bandit's JSON report as findings at or above the thresholds (and the number below)."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ToolError("bandit's JSON report has no results list", remediation=_UPGRADE)
    below = 0
    pending: list[tuple[_Result, str, str]] = []
    for result in data["results"]:
        if not isinstance(result, dict):
            raise ToolError("bandit's JSON report holds a result that is not an object")
        if not (
            _at_or_above(str(result.get("issue_severity")), severity)
            and _at_or_above(str(result.get("issue_confidence")), confidence)
        ):
            below += 1
            continue
        report_int(result, "line_number", 1, report=_REPORT)  # refused here, used below
        path = relative_posix(_name(result, "filename", ""), root)
        lines = _own_lines(result)
        test_id = _name(result, "test_id", "bandit")
        digest = (
            secret_digest(snippet_digest(lines), rule=test_id, path=path)
            if test_id in SECRET_BEARING
            else snippet_digest(lines)
        )
        pending.append((result, path, digest))
    pending.sort(key=lambda p: (p[1], _line(p[0]), str(p[0].get("test_id"))))
    seen: dict[tuple[str, str, str], int] = defaultdict(int)
    findings: list[Finding] = []
    for result, path, digest in pending:
        rule = _rule(result)
        key = (rule.id, path, digest)
        occurrence = seen[key]
        seen[key] += 1
        line = _line(result)
        col = result.get("col_offset")
        column = col + 1 if isinstance(col, int) else None
        findings.append(
            Finding(
                rule=rule,
                message=_message(result, rule),
                fingerprint=fingerprint(rule.id, path, digest, str(occurrence)),
                severity=rule.default_severity,
                locations=(Location(path, Region(max(line, 1), column)),),
                properties={
                    "confidence": str(result.get("issue_confidence", "")).lower(),
                    "severity": str(result.get("issue_severity", "")).lower(),
                },
            )
        )
    for error in report_list(data, "errors", report=_REPORT):
        if not isinstance(error, dict):
            continue
        path = relative_posix(_name(error, "filename", ""), root)
        reason = str(error.get("reason") or "not scanned")
        findings.append(
            Finding(
                rule=SCAN_ERROR_RULE,
                message=f"bandit could not scan {path}: {reason}",
                fingerprint=fingerprint(SCAN_ERROR_RULE.id, path, snippet_digest([reason])),
                severity=Severity.HIGH,
                locations=(Location(path),),
            )
        )
    return findings, below


_UPGRADE = "re-run with -v; check that bandit (a chainkit dependency) is installed intact"


def run_bandit(
    paths: tuple[Path, ...],
    *,
    root: Path,
    severity: Severity,
    confidence: Severity,
    timeout: float,
) -> BanditRun:
    """Run bandit over ``paths`` (recursively) with the project's configuration."""
    targets = [str(check_path_argument(p, what="path")) for p in paths] or ["."]
    for target in targets:
        if not (root / target).exists() and not (root / target).is_symlink():
            raise ScanInputError(f"no such file or directory: {target}")
    config = load_config(root)
    files = python_files(targets, root=root, exclude=config.exclude)
    if not files.scanned:
        raise ScanInputError(
            f"nothing to scan: no Python file under {', '.join(targets)} "
            f"({files.excluded} excluded by {config.describe()}, "
            f"{len(files.symlinks)} symlink(s) skipped)",
            remediation="check the paths and exclude_dirs / exclude in the bandit configuration",
        )
    with private_report_file("bandit.json") as report:
        argv = [
            sys.executable,
            "-I",  # isolated: the scanned directory is not on sys.path (a planted bandit.py)
            "-m",
            "bandit",
            "--format",
            "json",
            "--output",
            str(report),
            "--quiet",
            *write_config(config, report.parent),
            "--",
            *files.scanned,
        ]
        done = run(argv, cwd=root, timeout=timeout, waiting_for="bandit", env=tool_env())
        try:
            raw = read_bounded(report, MAX_REPORT_BYTES)
        except (OSError, TooLargeError) as exc:
            raise ToolError(f"could not read bandit's report: {exc}") from exc
    if done.returncode not in (0, 1) or not raw.strip():
        tail = printable(done.stderr.decode("utf-8", "replace").strip()[-500:])
        raise ToolError(
            f"bandit failed (exit {done.returncode}): {tail or 'no message'}",
            remediation="check [tool.bandit] / .bandit and the paths; " + _UPGRADE,
        )
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ToolError(f"bandit's JSON report is not JSON: {exc}", remediation=_UPGRADE) from exc
    findings, below = to_findings(data, root=root, severity=severity, confidence=confidence)
    metrics = data.get("metrics") if isinstance(data, dict) else None
    names = [k for k in metrics if k != "_totals"] if isinstance(metrics, dict) else []
    if not names:
        raise ToolError(
            f"bandit was given {len(files.scanned)} file(s) but its report lists none scanned",
            remediation=_UPGRADE,
        )
    if severity <= Severity.LOW:  # the rule is low: shown at the lowest threshold only
        findings += nosec_findings(names, root=root)
    return BanditRun(tuple(findings), len(names), config, below, files.excluded, files.symlinks)
