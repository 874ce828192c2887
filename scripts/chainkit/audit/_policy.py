"""The audit policy: a failure threshold and ignores with a reason and an expiry.

Read from ``[tool.chainkit.audit]`` in ``pyproject.toml`` or from ``--policy FILE`` (a TOML
file with the same keys at its top level, or a ``pyproject.toml``)::

    [tool.chainkit.audit]
    fail-on = "high"               # any | low | medium | high | critical
    unknown-severity = "high"      # level assumed for advisories without a severity, or "ignore"
    [[tool.chainkit.audit.ignore]]
    id = "CVE-2024-1234"           # any id or alias of the advisory
    package = "jinja2"             # optional: only for this package
    reason = "template input is trusted"   # required
    expires = 2025-06-30           # optional: last day the ignore applies
"""

from __future__ import annotations

import datetime as dt
import enum
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from chainkit.audit._errors import PolicyError
from chainkit.audit._severity import Level, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "FailOn",
    "Ignore",
    "Policy",
    "load_policy",
    "parse_policy",
]


class FailOn(str, enum.Enum):
    """The threshold: findings at or above it fail the audit (exit 1)."""

    ANY = "any"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def level(self) -> Level | None:
        return None if self is FailOn.ANY else Level.parse(self.value)


@dataclass(frozen=True)
class Ignore:
    """An accepted advisory: ``id`` or an alias, optionally one ``package``, until ``expires``."""

    id: str
    reason: str
    package: str | None = None
    expires: dt.date | None = None

    def expired(self, today: dt.date) -> bool:
        """Expired after its ``expires`` day."""
        return self.expires is not None and today > self.expires

    def matches(self, package: str, ids: frozenset[str]) -> bool:
        if self.package is not None and self.package != canonicalize_name(package):
            return False
        wanted = self.id.upper()  # CVE-/GHSA-/PYSEC- ids are case-insensitive
        return any(i.upper() == wanted for i in ids)

    def describe(self) -> str:
        scope = f" for {self.package}" if self.package else ""
        until = f" until {self.expires.isoformat()}" if self.expires else ""
        return f"{self.id}{scope}{until}: {self.reason}"


@dataclass(frozen=True)
class Policy:
    """What fails the audit and what is accepted."""

    fail_on: FailOn = FailOn.ANY
    unknown_severity: Level | None = Level.HIGH
    ignores: tuple[Ignore, ...] = ()
    source: str | None = None

    def with_fail_on(self, fail_on: FailOn | None) -> Policy:
        if fail_on is None:
            return self
        return Policy(fail_on, self.unknown_severity, self.ignores, self.source)

    def effective_level(self, severity: Severity) -> Level | None:
        """The level a finding counts as: its own, else the ``unknown-severity`` assumption."""
        return severity.level if severity.level is not None else self.unknown_severity

    def reaches_threshold(self, severity: Severity) -> bool:
        if self.fail_on is FailOn.ANY:
            return True
        level = self.effective_level(severity)
        threshold = self.fail_on.level
        return level is not None and threshold is not None and level >= threshold

    def find_ignore(self, package: str, ids: frozenset[str], *, today: dt.date) -> Ignore | None:
        """The first unexpired ignore matching the finding."""
        for ignore in self.ignores:
            if ignore.matches(package, ids) and not ignore.expired(today):
                return ignore
        return None


_KEYS = {"fail-on", "unknown-severity", "ignore"}
_IGNORE_KEYS = {"id", "package", "reason", "expires"}


def _fail(source: str, what: str) -> PolicyError:
    return PolicyError(
        f"invalid audit policy in {source}: {what}",
        remediation="see docs/audit.md, 'Policy'; e.g. fail-on = \"high\" and "
        "[[tool.chainkit.audit.ignore]] with id, reason, optional package and expires",
    )


def _parse_fail_on(value: Any, source: str) -> FailOn:
    try:
        return FailOn(str(value).lower())
    except ValueError:
        raise _fail(
            source, f"fail-on must be one of any/low/medium/high/critical, not {value!r}"
        ) from None


def _parse_unknown(value: Any, source: str) -> Level | None:
    text = str(value).lower()
    if text == "ignore":
        return None
    try:
        return Level.parse(text)
    except KeyError:
        raise _fail(
            source, f"unknown-severity must be low/medium/high/critical or ignore, not {value!r}"
        ) from None


def _parse_expires(value: Any, source: str, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _fail(source, f"{where}: expires must be a date (YYYY-MM-DD), not {value!r}")


def _parse_ignore(entry: Any, index: int, source: str) -> Ignore:
    where = f"ignore #{index + 1}"
    if not isinstance(entry, Mapping):
        raise _fail(source, f"{where} must be a table")
    unknown = set(entry) - _IGNORE_KEYS
    if unknown:
        raise _fail(source, f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    vuln_id = entry.get("id")
    if not isinstance(vuln_id, str) or not vuln_id.strip():
        raise _fail(source, f"{where}: id is required (an advisory id or alias)")
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise _fail(source, f"{where} ({vuln_id}): reason is required")
    package = entry.get("package")
    if package is not None and (not isinstance(package, str) or not package.strip()):
        raise _fail(source, f"{where} ({vuln_id}): package must be a name")
    expires = entry.get("expires")
    return Ignore(
        id=vuln_id.strip(),
        reason=reason.strip(),
        package=canonicalize_name(package) if package else None,
        expires=None if expires is None else _parse_expires(expires, source, where),
    )


def parse_policy(table: Mapping[str, Any], *, source: str) -> Policy:
    """Validate a ``[tool.chainkit.audit]``-shaped mapping; unknown keys are errors."""
    unknown = set(table) - _KEYS
    if unknown:
        raise _fail(source, f"unknown key(s) {', '.join(sorted(unknown))}")
    ignores_raw = table.get("ignore", [])
    if not isinstance(ignores_raw, list):
        raise _fail(source, "ignore must be an array of tables ([[...ignore]])")
    return Policy(
        fail_on=_parse_fail_on(table.get("fail-on", "any"), source),
        unknown_severity=_parse_unknown(table.get("unknown-severity", "high"), source),
        ignores=tuple(_parse_ignore(e, i, source) for i, e in enumerate(ignores_raw)),
        source=source,
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise PolicyError(
            f"policy file {path} does not exist", remediation="check the --policy path"
        ) from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(
            f"policy file {path} could not be read as TOML: {exc}",
            remediation="fix the TOML syntax (https://toml.io)",
        ) from exc


def _tool_table(data: Mapping[str, Any]) -> Any:
    tool = data.get("tool")
    chainkit = tool.get("chainkit") if isinstance(tool, Mapping) else None
    return chainkit.get("audit") if isinstance(chainkit, Mapping) else None


def load_policy(policy_file: Path | None, *, project_dir: Path | None = None) -> Policy:
    """The policy from ``policy_file``, else ``project_dir/pyproject.toml``, else the default.

    A policy file may hold the keys at its top level or under ``[tool.chainkit.audit]``.
    """
    if policy_file is not None:
        data = _read_toml(policy_file)
        table = _tool_table(data)
        if table is None:
            table = {k: v for k, v in data.items() if k != "tool"}
        if not isinstance(table, Mapping):
            raise _fail(str(policy_file), "[tool.chainkit.audit] must be a table")
        return parse_policy(table, source=str(policy_file))
    if project_dir is not None:
        pyproject = project_dir / "pyproject.toml"
        if pyproject.is_file():
            table = _tool_table(_read_toml(pyproject))
            if table is not None:
                if not isinstance(table, Mapping):
                    raise _fail(str(pyproject), "[tool.chainkit.audit] must be a table")
                return parse_policy(table, source=f"{pyproject} [tool.chainkit.audit]")
    return Policy()
