"""What a repository suppresses in gitleaks, said rather than silently applied.

- its ``.gitleaksignore`` (gitleaks reads it; chainkit names it and counts its entries);
- its gitleaks configuration: an allowlist pattern (paths or regexes, global or of a rule)
  that matches every path or text switches scanning off, and is a warning;
- inline allow comments (gitleaks' ``gitleaks`` + ``:allow`` marker) in the current files: one
  without a reason in the same comment is a finding of the rule ``gitleaks-allow-without-reason``
  (low), as a ``# nosec`` without a reason is for ``scan code``. The line holds a secret, so its
  fingerprint is the scrypt digest of the line, never a plain hash.
"""

from __future__ import annotations

import os
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainkit._internal.fs import TooLargeError, read_bounded
from chainkit.findings import Finding, Location, Region, Rule, Severity, fingerprint
from chainkit.scan._common import secret_digest, snippet_digest
from chainkit.scan._proc import run, which

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["ALLOW_RULE", "Suppressions", "allow_findings", "suppressions"]

MARKER = "gitleaks" + ":allow"  # spelt in two so that this file holds no marker itself
MAX_FILE_BYTES = 4 * 1024 * 1024
ALLOW_RULE = Rule(
    id="gitleaks-allow-without-reason",
    name="gitleaks_allow_without_reason",
    tool="gitleaks",
    short_description="an inline gitleaks allow comment gives no reason",
    help_text="Say why the line is accepted in the same comment as the allow marker "
    "(a test fixture, a documented example); otherwise remove the marker and the secret.",
    default_severity=Severity.LOW,
)
_OPENERS = re.compile(r"#|//|/\*|<!--|--|;")
_WORD = re.compile(r"[A-Za-z]{3,}")
_QUOTED = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`""")
# paths and texts that no meaningful allowlist pattern matches all of
_SAMPLES = ("a", "src/app.py", ".env", "deploy/prod/config.yaml", "README", "x1 = 'zz'")


@dataclass(frozen=True)
class Suppressions:
    """The repository's suppressions, for the notes and ``properties.configuration``."""

    config: str | None
    ignore_file: str | None
    ignore_entries: int
    warnings: tuple[str, ...]

    def properties(self) -> dict[str, object]:
        return {
            "config": self.config,
            "rules": "the configuration's" if self.config else "gitleaks' default rules",
            "gitleaksignore": self.ignore_file,
            "gitleaksignore_entries": self.ignore_entries,
            "warnings": list(self.warnings),
        }


def _allowlists(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(data.get("allowlist"), dict):
        yield "[allowlist]", data["allowlist"]
    for i, item in enumerate(data.get("allowlists") or []):
        if isinstance(item, dict):
            yield f"[[allowlists]] #{i + 1}", item
    for rule in data.get("rules") or []:
        if not isinstance(rule, dict):
            continue
        name = str(rule.get("id") or "?")
        if isinstance(rule.get("allowlist"), dict):
            yield f"rule {name} allowlist", rule["allowlist"]
        for item in rule.get("allowlists") or []:
            if isinstance(item, dict):
                yield f"rule {name} allowlists", item


def _matches_everything(pattern: str) -> bool:
    try:
        compiled = re.compile(pattern)
    except (re.error, RecursionError):
        return False  # Go's RE2 syntax Python cannot read: not judged
    return all(compiled.search(s) for s in _SAMPLES)


def config_warnings(path: Path, shown: str) -> tuple[str, ...]:
    try:
        data = tomllib.loads(read_bounded(path, MAX_FILE_BYTES).decode("utf-8"))
    except (OSError, TooLargeError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return ()  # gitleaks itself reports a configuration it cannot read
    out = []
    for where, allow in _allowlists(data):
        for key in ("paths", "regexes"):
            for pattern in allow.get(key) or []:
                if isinstance(pattern, str) and _matches_everything(pattern):
                    out.append(
                        f"{shown} {where} {key} pattern {pattern!r} matches everything: "
                        + ("nothing is reported" if where.startswith("[") else "the rule is off")
                    )
    return tuple(out)


def _ignore_entries(path: Path) -> int:
    try:
        text = read_bounded(path, MAX_FILE_BYTES).decode("utf-8", "replace")
    except (OSError, TooLargeError):
        return 0
    return sum(1 for line in text.splitlines() if line.strip() and not line.startswith("#"))


def suppressions(root: Path, config: Path | None, shown: str | None) -> Suppressions:
    ignore = root / ".gitleaksignore"
    has_ignore = ignore.is_file() and not ignore.is_symlink()
    return Suppressions(
        config=shown,
        ignore_file=".gitleaksignore" if has_ignore else None,
        ignore_entries=_ignore_entries(ignore) if has_ignore else 0,
        warnings=config_warnings(config, shown or "") if config is not None else (),
    )


def _reasonless(line: str) -> bool:
    """Whether the comment holding the marker says nothing else: the comment is the line from
    its first comment opener outside quotes (reason first, then the marker, as for # nosec)."""
    code = _QUOTED.sub(" ", line)
    if MARKER not in code:  # quoted (prose, a string): the whole line is its context
        return _WORD.search(line.replace(MARKER, " ")) is None
    opener = _OPENERS.search(code)
    comment = code[opener.end() :] if opener else code[code.find(MARKER) :]
    return _WORD.search(_OPENERS.sub(" ", comment.replace(MARKER, " "))) is None


def _files(root: Path, mode: str, timeout: float) -> list[str]:
    git = which("git") if mode == "git" else None
    if git is not None:
        done = run(
            [str(git), "ls-files", "-z"], cwd=root, timeout=timeout, waiting_for="git ls-files"
        )
        if done.returncode == 0:
            return sorted(n for n in done.stdout.decode("utf-8", "replace").split("\0") if n)
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git" and not (Path(dirpath) / d).is_symlink()]
        rel = Path(dirpath).relative_to(root)
        out += [(rel / f).as_posix() for f in filenames]
    return sorted(out)


def allow_findings(root: Path, *, mode: str, timeout: float) -> list[Finding]:
    """A finding for each inline allow marker without a reason in the current files."""
    found: list[Finding] = []
    needle = MARKER.encode()
    for name in _files(root, mode, timeout):
        try:
            data = read_bounded(root / name, MAX_FILE_BYTES, follow_symlinks=False)
        except (OSError, TooLargeError):
            continue
        if needle not in data:
            continue
        seen: dict[str, int] = defaultdict(int)
        for number, raw in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
            if MARKER not in raw or not _reasonless(raw):
                continue
            digest = secret_digest(snippet_digest([raw]), rule=ALLOW_RULE.id, path=name)
            occurrence = seen[digest]
            seen[digest] += 1
            found.append(
                Finding(
                    rule=ALLOW_RULE,
                    message=f"{name}:{number}: inline gitleaks allow without a reason",
                    fingerprint=fingerprint(ALLOW_RULE.id, name, digest, str(occurrence)),
                    severity=Severity.LOW,
                    locations=(Location(name, Region(number)),),
                )
            )
    return found
