"""The policy: a failure threshold, the unknown-severity knob, ignores with reason and expiry.

One policy serves every tool that reports findings; each reads it from its own table of
``pyproject.toml`` (``[tool.chainkit.audit]`` now, ``[tool.chainkit.scan]`` next) or from a
``--policy FILE`` (the same keys at its top level, or a ``pyproject.toml``)::

    [tool.chainkit.audit]
    fail-on = "high"               # any | low | medium | high | critical
    unknown-severity = "high"      # level assumed for findings without a severity, or "ignore"
    [[tool.chainkit.audit.ignore]]
    id = "CVE-2024-1234"           # the rule's id or any alias
    package = "jinja2"             # optional: only for findings on this package
    reason = "template input is trusted"   # required
    expires = 2025-06-30           # optional: last day the ignore applies

Keys are checked strictly (:mod:`chainkit._internal.strict`, keys from the dataclass fields):
a typo must not silently disable a policy.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from chainkit._internal.fs import TooLargeError, read_bounded
from chainkit._internal.strict import DocumentError, Obj
from chainkit.findings._errors import PolicyError
from chainkit.findings._model import Finding, Severity, Suppression

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["Applied", "FailOn", "Ignore", "Policy", "load_policy", "parse_policy"]


class FailOn(str, enum.Enum):
    """The threshold: findings at or above it fail (exit 1)."""

    ANY = "any"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def severity(self) -> Severity | None:
        return None if self is FailOn.ANY else Severity.parse(self.value)


@dataclass(frozen=True)
class Ignore:
    """An accepted finding: ``id`` (a rule id or alias), optionally one ``package``, until
    ``expires`` (inclusive)."""

    id: str
    reason: str
    package: str | None = None
    expires: dt.date | None = None

    def expired(self, today: dt.date) -> bool:
        """Expired after its ``expires`` day."""
        return self.expires is not None and today > self.expires

    def matches(self, package: str | None, ids: Iterable[str]) -> bool:
        """``ids`` holds this ignore's id (case-insensitive: CVE-/GHSA-/PYSEC- ids are), and
        the finding is on ``package`` when the ignore is scoped to one."""
        if self.package is not None and (
            package is None or self.package != canonicalize_name(package)
        ):
            return False
        wanted = self.id.upper()
        return any(i.upper() == wanted for i in ids)

    def describe(self) -> str:
        scope = f" for {self.package}" if self.package else ""
        until = f" until {self.expires.isoformat()}" if self.expires else ""
        return f"{self.id}{scope}{until}: {self.reason}"

    def suppression(self) -> Suppression:
        return Suppression(
            reason=self.reason,
            ignore_id=self.id,
            package=self.package,
            expires=self.expires.isoformat() if self.expires else None,
        )


@dataclass(frozen=True)
class Applied:
    """The findings with verdicts, and which ignores expired or matched nothing."""

    findings: tuple[Finding, ...]
    expired: tuple[Ignore, ...]
    unused: tuple[Ignore, ...]


@dataclass(frozen=True)
class Policy:
    """What fails and what is accepted. ``unknown_severity`` ``None`` means "ignore"."""

    fail_on: FailOn = FailOn.ANY
    unknown_severity: Severity | None = Severity.HIGH
    ignores: tuple[Ignore, ...] = ()
    source: str | None = None

    def with_fail_on(self, fail_on: FailOn | None) -> Policy:
        return self if fail_on is None else dataclasses.replace(self, fail_on=fail_on)

    def effective_severity(self, severity: Severity | None) -> Severity | None:
        """The level a finding counts as: its own, else the ``unknown-severity`` assumption."""
        return severity if severity is not None else self.unknown_severity

    def reaches_threshold(self, severity: Severity | None) -> bool:
        if self.fail_on is FailOn.ANY:
            return True
        level = self.effective_severity(severity)
        threshold = self.fail_on.severity
        return level is not None and threshold is not None and level >= threshold

    def find_ignore(
        self, package: str | None, ids: Iterable[str], *, today: dt.date
    ) -> Ignore | None:
        """The first unexpired ignore matching the finding."""
        ids = tuple(ids)
        for ignore in self.ignores:
            if ignore.matches(package, ids) and not ignore.expired(today):
                return ignore
        return None

    def apply(self, findings: Iterable[Finding], *, today: dt.date) -> Applied:
        """Each finding with ``suppression`` (the first unexpired matching ignore) and
        ``blocking`` (not suppressed and at or above ``fail_on``) set."""
        out: list[Finding] = []
        used: set[Ignore] = set()
        expired: dict[Ignore, None] = {}
        for finding in findings:
            package = finding.package.name if finding.package is not None else None
            ids = finding.rule.ids
            ignore = self.find_ignore(package, ids, today=today)
            for candidate in self.ignores:
                if candidate.expired(today) and candidate.matches(package, ids):
                    expired[candidate] = None
            if ignore is not None:
                used.add(ignore)
            out.append(
                dataclasses.replace(
                    finding,
                    suppression=None if ignore is None else ignore.suppression(),
                    blocking=ignore is None and self.reaches_threshold(finding.severity),
                )
            )
        unused = tuple(i for i in self.ignores if i not in used and i not in expired)
        return Applied(tuple(out), tuple(expired), unused)


# --- reading ----------------------------------------------------------------------------------

_TOP = {"fail_on": "fail-on", "unknown_severity": "unknown-severity", "ignores": "ignore"}


def _fail(source: str, what: str, section: str) -> PolicyError:
    return PolicyError(
        f"invalid {section} policy in {source}: {what}",
        remediation=f"see docs/{section}.md, 'Policy'; e.g. fail-on = \"high\" and "
        f"[[tool.chainkit.{section}.ignore]] with id, reason, optional package and expires",
    )


def _parse_expires(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _parse_ignore(entry: Any, where: str, source: str, section: str) -> Ignore:
    def error(exc: DocumentError) -> PolicyError:
        return _fail(source, str(exc), section)

    obj = Obj.of(entry, where, Ignore, error=error, optional={"id", "reason", "package", "expires"})
    vuln_id = obj.raw("id")
    if not isinstance(vuln_id, str) or not vuln_id.strip():
        raise _fail(source, f"{where}: id is required (a rule id or an alias)", section)
    reason = obj.raw("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise _fail(source, f"{where} ({vuln_id}): reason is required", section)
    package = obj.raw("package")
    if package is not None and (not isinstance(package, str) or not package.strip()):
        raise _fail(source, f"{where} ({vuln_id}): package must be a name", section)
    expires = None
    if obj.has("expires"):
        expires = _parse_expires(obj.raw("expires"))
        if expires is None:
            raise _fail(source, f"{where}: expires must be a date (YYYY-MM-DD)", section)
    return Ignore(
        id=vuln_id.strip(),
        reason=reason.strip(),
        package=canonicalize_name(package) if package else None,
        expires=expires,
    )


def parse_policy(table: Mapping[str, Any], *, source: str, section: str = "audit") -> Policy:
    """Validate a ``[tool.chainkit.<section>]``-shaped mapping; unknown keys are errors."""

    def error(exc: DocumentError) -> PolicyError:
        return _fail(source, exc.detail, section)

    obj = Obj.of(
        table, "", Policy, error=error, rename=_TOP, skip={"source"}, optional=_TOP.values()
    )
    fail_on_raw = str(obj.raw("fail-on", "any")).lower()
    try:
        fail_on = FailOn(fail_on_raw)
    except ValueError:
        raise _fail(
            source, "fail-on must be one of any/low/medium/high/critical", section
        ) from None
    unknown_raw = str(obj.raw("unknown-severity", "high")).lower()
    unknown: Severity | None = None
    if unknown_raw != "ignore":
        try:
            unknown = Severity.parse(unknown_raw)
        except KeyError:
            raise _fail(
                source, "unknown-severity must be low/medium/high/critical or ignore", section
            ) from None
    ignores_raw = obj.raw("ignore", [])
    if not isinstance(ignores_raw, list):
        raise _fail(source, "ignore must be an array of tables ([[...ignore]])", section)
    return Policy(
        fail_on=fail_on,
        unknown_severity=unknown,
        ignores=tuple(
            _parse_ignore(e, f"ignore #{i + 1}", source, section) for i, e in enumerate(ignores_raw)
        ),
        source=source,
    )


MAX_POLICY_BYTES = 4 * 1024 * 1024
"""A policy (or the pyproject.toml holding it) larger than this is not one."""


def _read_toml(path: Path) -> dict[str, Any]:
    """Bounded: ``--policy /dev/zero`` or a huge file is an error, not an endless read."""
    try:
        return tomllib.loads(read_bounded(path, MAX_POLICY_BYTES).decode("utf-8"))
    except TooLargeError:
        raise PolicyError(
            f"policy file {path} is larger than {MAX_POLICY_BYTES} bytes",
            remediation="pass a policy TOML file or the project's pyproject.toml",
        ) from None
    except FileNotFoundError:
        raise PolicyError(
            f"policy file {path} does not exist", remediation="check the --policy path"
        ) from None
    except UnicodeDecodeError:
        raise PolicyError(
            f"policy file {path} is not UTF-8 text",
            remediation="pass a policy TOML file or the project's pyproject.toml",
        ) from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(
            f"policy file {path} could not be read as TOML: {exc}",
            remediation="fix the TOML syntax (https://toml.io)",
        ) from exc


def _tool_table(data: Mapping[str, Any], section: str) -> Any:
    tool = data.get("tool")
    chainkit = tool.get("chainkit") if isinstance(tool, Mapping) else None
    return chainkit.get(section) if isinstance(chainkit, Mapping) else None


def load_policy(
    policy_file: Path | None, *, project_dir: Path | None = None, section: str = "audit"
) -> Policy:
    """The policy from ``policy_file``, else ``project_dir/pyproject.toml``'s
    ``[tool.chainkit.<section>]``, else the default. An explicit file holds the keys at its
    top level or under ``[tool.chainkit.<section>]``, and replaces the project's table."""
    if policy_file is not None:
        data = _read_toml(policy_file)
        table = _tool_table(data, section)
        if table is None:
            table = {k: v for k, v in data.items() if k != "tool"}
        if not isinstance(table, Mapping):
            raise _fail(str(policy_file), f"[tool.chainkit.{section}] must be a table", section)
        return parse_policy(table, source=str(policy_file), section=section)
    if project_dir is not None:
        pyproject = project_dir / "pyproject.toml"
        if pyproject.is_file():
            table = _tool_table(_read_toml(pyproject), section)
            if table is not None:
                if not isinstance(table, Mapping):
                    what = f"[tool.chainkit.{section}] must be a table"
                    raise _fail(str(pyproject), what, section)
                return parse_policy(
                    table, source=f"{pyproject} [tool.chainkit.{section}]", section=section
                )
    return Policy()
