"""``scan secrets``: the gitleaks v8 CLI over the git history (``gitleaks git``) or the
working tree (``gitleaks dir``), turned into findings that never hold a secret.

Where the binary comes from is not this module's concern: ``--gitleaks PATH``, then
``CHAINKIT_GITLEAKS``, then ``gitleaks`` on ``PATH``, resolved to an absolute path; its
``gitleaks version`` must be 8.x. A missing or wrong binary is exit 3 with install
instructions, never a silent pass.

How a secret is kept out of everything chainkit writes:

- gitleaks runs with ``--redact`` (its report, logs and stdout carry ``REDACTED``), at
  log level ``error``, and its stderr is never echoed (only its exit code and size);
- its JSON report goes to a 0600 file in a private temporary directory, deleted after;
  of each entry only the rule, file, lines, columns, commit, entropy and the *redacted*
  match are read;
- the fingerprint needs the secret (a rotated secret in the same place is a new finding),
  so the secret is read back from the file (the working tree, or ``git cat-file`` of the
  commit) at the reported place, checked against gitleaks' entropy, hashed with scrypt
  salted by rule and path, and dropped. The fingerprint is
  ``sha256(rule, path, scrypt(secret))``: it survives line shifts, and guessing a secret
  from it costs an scrypt per guess. When the secret cannot be located again, the
  fingerprint falls back to the place (rule, path, redacted match, occurrence) and the
  finding says so (``fingerprint_basis: place``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from chainkit._internal.fs import TooLargeError, read_bounded
from chainkit._internal.output import printable
from chainkit.findings import Finding, Location, Region, Rule, Severity, Tool, fingerprint
from chainkit.scan._common import (
    private_report_file,
    relative_posix,
    report_int,
    report_list,
    report_name,
    secret_digest,
)
from chainkit.scan._errors import ScanInputError, ToolError, ToolMissingError
from chainkit.scan._proc import check_path_argument, run, tool_env, which
from chainkit.scan._suppressions import Suppressions, allow_findings, suppressions

__all__ = [
    "ENV_VAR",
    "Gitleaks",
    "GitleaksRun",
    "gitleaks_tool",
    "is_git_repository",
    "is_shallow",
    "resolve_gitleaks",
    "run_gitleaks",
    "secret_digest",
    "to_findings",
]

ENV_VAR = "CHAINKIT_GITLEAKS"
SUPPORTED_MAJOR = 8
LEAKS_EXIT = 42  # passed as --exit-code: gitleaks' "leaks found"; 0 clean, anything else fails
# the name of the fingerprint scheme in SARIF partialFingerprints (bump it when inputs change)
FINGERPRINT_SCHEME = "chainkitScanSecrets/v1"
MAX_REPORT_BYTES = 256 * 1024 * 1024
MAX_SOURCE_BYTES = 64 * 1024 * 1024
REDACTED = "REDACTED"
_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)\S*")
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
INSTALL = (
    "install gitleaks 8 from its official release "
    "(https://github.com/gitleaks/gitleaks/releases: the archive for your platform, checked "
    "against the release's checksums.txt) and put it on PATH, or point --gitleaks / "
    f"{ENV_VAR} at it; see docs/scan.md"
)

Mode = Literal["git", "dir"]


@dataclass(frozen=True)
class Gitleaks:
    """A checked gitleaks binary: absolute path and version."""

    path: Path
    version: str
    source: str  # "--gitleaks", "CHAINKIT_GITLEAKS" or "PATH"


@dataclass(frozen=True)
class GitleaksRun:
    findings: tuple[Finding, ...]
    mode: Mode
    config: str | None
    place_fingerprints: int
    shallow: bool = False
    suppressions: Suppressions | None = None


def gitleaks_tool(gitleaks: Gitleaks) -> Tool:
    return Tool(
        name="gitleaks",
        version=gitleaks.version,
        information_uri="https://github.com/gitleaks/gitleaks",
        fingerprint_key=FINGERPRINT_SCHEME,
        automation_id="chainkit/scan/secrets/",
    )


def _executable(path: Path, source: str) -> Path:
    check_path_argument(path, what=f"gitleaks binary ({source})")
    full = path.expanduser()
    if not full.is_absolute():
        full = Path.cwd() / full
    full = full.resolve()
    if not full.is_file() or not os.access(full, os.X_OK):
        raise ToolMissingError(
            f"gitleaks binary from {source} is not an executable file: {path}",
            remediation=INSTALL,
        )
    return full


def resolve_gitleaks(
    explicit: Path | None, *, env: Mapping[str, str], timeout: float = 30
) -> Gitleaks:
    """The gitleaks to run: ``explicit``, else ``$CHAINKIT_GITLEAKS``, else ``PATH``;
    checked to be gitleaks 8 (:class:`ToolMissingError`, exit 3, otherwise)."""
    if explicit is not None:
        binary, source = _executable(explicit, "--gitleaks"), "--gitleaks"
    elif env.get(ENV_VAR):
        binary, source = _executable(Path(env[ENV_VAR]), ENV_VAR), ENV_VAR
    else:
        found = which("gitleaks")
        if found is None:
            raise ToolMissingError("gitleaks is not installed (not on PATH)", remediation=INSTALL)
        binary, source = found, "PATH"
    done = run(
        [str(binary), "version"],
        cwd=Path.cwd(),
        timeout=timeout,
        waiting_for="`gitleaks version`",
        env=tool_env(),
    )
    text = done.stdout.decode("utf-8", "replace").strip()
    match = _VERSION.search(text)
    if done.returncode != 0 or match is None:
        raise ToolMissingError(
            f"{binary} ({source}) does not answer `version` like gitleaks "
            f"(exit {done.returncode}, {printable(text[:80]) or 'no output'})",
            remediation=INSTALL,
        )
    if int(match.group(1)) != SUPPORTED_MAJOR:
        raise ToolMissingError(
            f"{binary} ({source}) is gitleaks {match.group(0)}; chainkit needs gitleaks "
            f"{SUPPORTED_MAJOR}.x (its CLI and report format)",
            remediation=INSTALL,
        )
    return Gitleaks(binary, match.group(0).lstrip("v"), source)


def _entropy(text: str) -> float:
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values()) if n else 0.0


class _Sources:
    """File contents at a commit (``git cat-file``) or in the working tree, cached."""

    def __init__(self, root: Path, mode: Mode, timeout: float) -> None:
        self.root = root
        self.mode = mode
        self.timeout = timeout
        self._cache: dict[tuple[str, str], list[bytes] | None] = {}
        self._git: Path | None = None

    def lines(self, commit: str, path: str) -> list[bytes] | None:
        key = (commit, path)
        if key not in self._cache:
            self._cache[key] = self._read(commit, path)
        return self._cache[key]

    def _read(self, commit: str, path: str) -> list[bytes] | None:
        data: bytes | None
        if self.mode == "git":
            if not _COMMIT.fullmatch(commit):
                return None
            if self._git is None:
                self._git = which("git")
            if self._git is None:
                return None
            done = run(
                [str(self._git), "cat-file", "blob", f"{commit}:{path}"],
                cwd=self.root,
                timeout=self.timeout,
                waiting_for=f"git cat-file of {path} at {commit[:12]}",
            )
            data = done.stdout if done.returncode == 0 else None
        else:
            # the report names the file: only a file inside the scanned root, never through
            # a symlink (a report naming /etc/shadow or ../x reads nothing; the finding
            # then keeps its place fingerprint)
            where = self.root / path
            inside = where.resolve().is_relative_to(self.root.resolve())
            try:
                data = (
                    read_bounded(where, MAX_SOURCE_BYTES, follow_symlinks=False) if inside else None
                )
            except (OSError, TooLargeError):
                data = None
        if data is None or len(data) > MAX_SOURCE_BYTES:
            return None
        return data.split(b"\n")  # bytes: gitleaks' columns count bytes


def _redacted_pattern(match: str) -> re.Pattern[str]:
    """The redacted ``match`` as a pattern: ``REDACTED`` is the secret (every occurrence was
    replaced, so later ones must repeat the first). Used with ``fullmatch`` over the span
    gitleaks reported, so an empty prefix or suffix cannot make the secret one character."""
    parts = match.split(REDACTED)
    pattern = re.escape(parts[0]) + "(?P<s>.+)"
    for part in parts[1:-1]:
        pattern += re.escape(part) + "(?P=s)"
    pattern += re.escape(parts[-1])
    return re.compile(pattern, flags=re.DOTALL)


# (start, end) corrections, most likely first: gitleaks counts a match that does not start
# on its first line from the newline before (+1), and a multi-line match's end one further
_SHIFTS = sorted(
    ((s, e) for s in (0, 1, -1) for e in (0, 1, -1)), key=lambda t: abs(t[0]) + abs(t[1])
)


_REPORT = "gitleaks' JSON report"


def _int(entry: Mapping[str, Any], key: str, default: int) -> int:
    return report_int(entry, key, default, report=_REPORT)


def _spans(entry: Mapping[str, Any], lines: list[bytes]) -> list[str]:
    """The text from the start column of the first line to the end column of the last
    (1-based, inclusive, in bytes as gitleaks counts them), with each end corrected by one
    either way independently; most likely first, each a whole UTF-8 text."""
    first, last = _int(entry, "StartColumn", 0), _int(entry, "EndColumn", 0)
    block = b"\n".join(lines)
    last_line_at = len(block) - len(lines[-1])
    out: list[str] = []
    for ds, de in _SHIFTS:
        a, b = first - 1 + ds, last_line_at + last + de
        if 0 <= a < b <= len(block):
            try:
                out.append(block[a:b].decode("utf-8"))
            except UnicodeDecodeError:
                continue  # a span that cuts a character is not the match
    return list(dict.fromkeys(out))


def _locate_secret(entry: Mapping[str, Any], lines: list[bytes] | None) -> str | None:
    """The secret at ``entry``'s place in ``lines``: the reported span (the whole match),
    with the redacted match's text around the secret matching it exactly, checked against
    the entropy gitleaks reported (when it reported one); None when it cannot be found."""
    if lines is None:
        return None
    start = _int(entry, "StartLine", 0)
    end = max(_int(entry, "EndLine", start), start)
    if start < 1 or end > len(lines):
        return None
    raw = entry.get("Entropy")
    entropy = float(raw) if isinstance(raw, (int, float)) else 0.0

    def fits(candidate: str) -> bool:
        return entropy <= 0 or abs(_entropy(candidate) - entropy) < 1e-3

    match = str(entry.get("Match") or "")
    pattern = _redacted_pattern(match) if REDACTED in match else None
    for span in _spans(entry, lines[start - 1 : end]):
        found = pattern.fullmatch(span) if pattern is not None else None
        candidate = found.group("s") if found is not None else (span if pattern is None else None)
        if candidate and fits(candidate):
            return candidate
    return None


def _text(entry: Mapping[str, Any], key: str, limit: int = 4096) -> str:
    value = entry.get(key)
    return value[:limit] if isinstance(value, str) else ""


def to_findings(
    data: Any, *, root: Path, mode: Mode, sources: _Sources
) -> tuple[list[Finding], int]:
    """gitleaks' (redacted) JSON report as findings, one per secret and place."""
    if not isinstance(data, list):
        raise ToolError("gitleaks' JSON report is not a list", remediation=INSTALL)
    digests: dict[tuple[str, str, str], str] = {}
    merged: dict[str, tuple[Finding, list[str]]] = {}
    places: Counter[tuple[str, str, str]] = Counter()
    fallback = 0
    for entry in data:
        if not isinstance(entry, dict):
            raise ToolError("gitleaks' JSON report holds an entry that is not an object")
        rule_id = report_name(_text(entry, "RuleID", 200) or "gitleaks", "RuleID", report=_REPORT)
        raw_path = report_name(_text(entry, "File"), "File", report=_REPORT)
        path = relative_posix(raw_path, root)
        commit = report_name(_text(entry, "Commit", 64), "Commit", report=_REPORT)
        secret = _locate_secret(entry, sources.lines(commit, raw_path))
        if secret is not None:
            key = (rule_id, path, hashlib.sha256(secret.encode("utf-8")).hexdigest())
            if key not in digests:
                digests[key] = secret_digest(secret, rule=rule_id, path=path)
            fp = fingerprint(rule_id, path, digests[key])
            basis = "secret"
        else:
            redacted = hashlib.sha256(_text(entry, "Match").encode("utf-8")).hexdigest()
            place = (rule_id, path, redacted)
            fp = fingerprint(rule_id, path, "place", redacted, str(places[place]))
            places[place] += 1
            basis = "place"
            fallback += 1
        del secret
        if fp in merged:
            if commit and commit not in merged[fp][1]:
                merged[fp][1].append(commit)
            continue
        line = _int(entry, "StartLine", 1)
        column = entry.get("StartColumn")
        tags = tuple(t for t in report_list(entry, "Tags", report=_REPORT) if isinstance(t, str))
        rule = Rule(
            id=rule_id,
            name=rule_id,
            tool="gitleaks",
            short_description=_text(entry, "Description", 500) or rule_id,
            default_severity=Severity.HIGH,
            tags=("security", "secret", *tags),
        )
        where = f" in commit {commit[:12]}" if commit else ""
        finding = Finding(
            rule=rule,
            message=f"possible secret ({rule_id}) in {path}:{line}{where}; rotate it, then "
            "remove it from the code (and the history)",
            fingerprint=fp,
            severity=Severity.HIGH,
            locations=(
                Location(path, Region(max(line, 1), column if isinstance(column, int) else None)),
            ),
            properties={"fingerprint_basis": basis},
        )
        merged[fp] = (finding, [commit] if commit else [])
    findings = []
    for finding, commits in merged.values():
        props = dict(finding.properties)
        if mode == "git":
            props["commits"] = commits
        findings.append(
            Finding(
                rule=finding.rule,
                message=finding.message,
                fingerprint=finding.fingerprint,
                severity=finding.severity,
                locations=finding.locations,
                properties=props,
            )
        )
    findings.sort(key=lambda f: (f.locations[0].display(), f.rule.id, f.fingerprint))
    return findings, fallback


def is_git_repository(path: Path) -> bool:
    return (path / ".git").exists()


def is_shallow(root: Path, *, timeout: float) -> bool:
    """Whether ``root`` is a shallow clone (its history is cut: ``actions/checkout``
    fetches one commit unless ``fetch-depth: 0``)."""
    git = which("git")
    if git is None:
        return False
    done = run(
        [str(git), "rev-parse", "--is-shallow-repository"],
        cwd=root,
        timeout=timeout,
        waiting_for="git rev-parse",
    )
    return done.returncode == 0 and done.stdout.strip() == b"true"


def run_gitleaks(
    gitleaks: Gitleaks,
    source: Path,
    *,
    mode: Mode,
    config: Path | None,
    timeout: float,
) -> GitleaksRun:
    """Run gitleaks over ``source`` (a directory; a git repository for ``mode="git"``)."""
    check_path_argument(source, what="path")
    if not source.is_dir():
        raise ScanInputError(f"{source} is not a directory", remediation="pass a directory")
    if mode == "git" and not is_git_repository(source):
        raise ScanInputError(
            f"{source} is not the root of a git repository; --history needs one",
            remediation="pass the repository root, or --no-history to scan the files",
        )
    root = source.absolute()
    used: Path | None = None
    if config is not None:
        check_path_argument(config, what="--config")
        if not config.is_file():
            raise ScanInputError(f"gitleaks configuration {config} is not a file")
        used = config.absolute()
    elif (root / ".gitleaks.toml").is_file():
        used = root / ".gitleaks.toml"
    env = {k: v for k, v in tool_env().items() if not k.startswith("GITLEAKS_")}
    with private_report_file("gitleaks.json") as report:
        argv = [
            str(gitleaks.path),
            mode,
            "--no-banner",
            "--no-color",
            "--redact",
            "--log-level",
            "error",
            "--exit-code",
            str(LEAKS_EXIT),
            "--report-format",
            "json",
            "--report-path",
            str(report),
            "--gitleaks-ignore-path",
            ".",
            *(["--config", str(used)] if used is not None else []),
            ".",  # run in root: reported paths are relative to it, as allowlists expect
        ]
        what = "gitleaks " + ("over the git history" if mode == "git" else "over the files")
        done = run(argv, cwd=root, timeout=timeout, waiting_for=what, env=env)
        if done.returncode not in (0, LEAKS_EXIT):
            lines = len(done.stderr.splitlines())
            raise ToolError(
                f"gitleaks failed (exit {done.returncode}); its log ({lines} lines) is not "
                "shown because it can quote what it matched",
                remediation="check the repository and --config; run gitleaks yourself with "
                "--redact to see its log",
            )
        try:
            raw = read_bounded(report, MAX_REPORT_BYTES)
        except (OSError, TooLargeError) as exc:
            raise ToolError(f"could not read gitleaks' report: {exc}") from exc
    if not raw.strip():  # real gitleaks writes [] when clean: no report is no answer
        raise ToolError(
            f"gitleaks exited {done.returncode} without writing its report",
            remediation="check that the binary is gitleaks 8; " + INSTALL,
        )
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ToolError("gitleaks' JSON report is not JSON", remediation=INSTALL) from exc
    if done.returncode == LEAKS_EXIT and not data:
        raise ToolError("gitleaks said it found leaks but its report lists none")
    sources = _Sources(root, mode, timeout)
    findings, fallback = to_findings(data, root=root, mode=mode, sources=sources)
    del data, raw
    findings += allow_findings(root, mode=mode, timeout=timeout)
    shown = None if used is None else relative_posix(str(used), root)
    return GitleaksRun(
        tuple(findings),
        mode,
        shown,
        fallback,
        shallow=mode == "git" and is_shallow(root, timeout=timeout),
        suppressions=suppressions(root, used, shown),
    )
