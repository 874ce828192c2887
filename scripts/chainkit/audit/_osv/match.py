"""OSV matching: is a PyPI version affected by a record?

Follows the OSV schema's evaluation rules: a version is affected when it is listed in
``affected[].versions`` (compared as PEP 440 versions, so ``1.0`` matches ``1.0.0``) or lies
in an ``ECOSYSTEM`` range (introduced / fixed / last_affected events, evaluated in version
order); ``GIT`` ranges are ignored; names compare as PEP 503 canonical names.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

__all__ = [
    "ECOSYSTEM",
    "Affected",
    "Record",
    "compile_affected",
    "parse_version",
    "record_fix_versions",
    "spellings",
]

_log = logging.getLogger("chainkit.audit")

ECOSYSTEM = "PyPI"
Record = Mapping[str, Any]


def parse_version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


# PEP 440 normal form of a public version without epoch: ``str(Version(v)) == v`` for these.
_NORMAL = re.compile(
    r"(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*(?:(?:a|b|rc)(?:0|[1-9][0-9]*))?"
    r"(?:\.post(?:0|[1-9][0-9]*))?(?:\.dev(?:0|[1-9][0-9]*))?"
)


def _normal_forms(entries: list[str]) -> frozenset[str]:
    """``affected[].versions`` in PEP 440 normal form; only odd spellings are parsed.

    These lists hold hundreds of entries per record, and parsing each with ``packaging``
    dominated the endpoint's first query for a package.
    """
    out: set[str] = set()
    for entry in entries:
        if _NORMAL.fullmatch(entry):
            out.add(entry)
        else:
            parsed = parse_version(entry)
            out.add(str(parsed) if parsed is not None else entry)
    return frozenset(out)


def spellings(version: Version) -> frozenset[str]:
    """Normal-form strings PEP 440-equal to ``version`` (release padded with zeros: 1.0 == 1)."""
    text = str(version)
    release = ".".join(map(str, version.release))
    if version.epoch != 0 or not text.startswith(release):
        return frozenset({text})
    suffix = text[len(release) :]
    parts = list(version.release)
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    longest = max(len(version.release), 4)
    return frozenset(
        ".".join(map(str, parts + [0] * pad)) + suffix for pad in range(longest - len(parts) + 1)
    )


@dataclass(frozen=True)
class _Range:
    # (version, kind) sorted by version; ``None`` version = introduced "0" (below everything)
    events: tuple[tuple[Version | None, str], ...]

    def contains(self, version: Version) -> bool:
        vulnerable = False
        for at, kind in self.events:
            if kind == "introduced":
                if at is None or version >= at:
                    vulnerable = True
            elif kind == "fixed":
                if at is not None and version >= at:
                    vulnerable = False
            elif kind == "last_affected" and at is not None and version > at:
                vulnerable = False
        return vulnerable


@dataclass(frozen=True)
class Affected:
    record_id: str
    versions: frozenset[str]
    normal_versions: frozenset[str]
    ranges: tuple[_Range, ...]
    fixed: tuple[str, ...]

    def contains(self, raw: str, version: Version | None, spellings: frozenset[str]) -> bool:
        if raw in self.versions or not spellings.isdisjoint(self.normal_versions):
            return True
        return version is not None and any(r.contains(version) for r in self.ranges)


def _compile_range(record_id: str, rng: Mapping[str, Any]) -> _Range | None:
    if rng.get("type") not in {"ECOSYSTEM", "SEMVER"}:
        return None  # GIT ranges name commits, not releases
    events: list[tuple[Version | None, str]] = []
    for event in rng.get("events") or []:
        if not isinstance(event, Mapping):
            continue
        for kind in ("introduced", "fixed", "last_affected"):
            if kind not in event:
                continue
            text = str(event[kind])
            if kind == "introduced" and text == "0":
                events.append((None, kind))
                continue
            parsed = parse_version(text)
            if parsed is None:  # fail closed: see records._without_unparsable_events
                _log.debug("%s: non-PEP 440 %s event; the range stays open", record_id, kind)
                if kind == "introduced":
                    events.append((None, kind))
                continue
            events.append((parsed, kind))
    events.sort(key=lambda e: (e[0] is not None, e[0] or Version("0")))
    return _Range(tuple(events))


def compile_affected(record: Record, package: str) -> list[Affected]:
    record_id = str(record["id"])
    out: list[Affected] = []
    for affected in record.get("affected") or []:
        if not isinstance(affected, Mapping):
            continue
        pkg = affected.get("package") or {}
        if pkg.get("ecosystem") != ECOSYSTEM:
            continue
        if canonicalize_name(str(pkg.get("name", ""))) != package:
            continue
        versions = [str(v) for v in affected.get("versions") or []]
        normal = _normal_forms(versions)
        ranges: list[_Range] = []
        fixed: list[str] = []
        for rng in affected.get("ranges") or []:
            if not isinstance(rng, Mapping):
                continue
            compiled = _compile_range(record_id, rng)
            if compiled is None:
                continue
            ranges.append(compiled)
            fixed.extend(str(e["fixed"]) for e in rng.get("events") or [] if "fixed" in e)
        out.append(Affected(record_id, frozenset(versions), normal, tuple(ranges), tuple(fixed)))
    return out


def record_fix_versions(record: Record, package: str) -> list[str]:
    """The ``fixed`` events of ``record``'s ECOSYSTEM ranges for ``package``, PEP 440 sorted."""
    name = canonicalize_name(package)
    fixed: set[str] = set()
    for affected in record.get("affected") or []:
        if not isinstance(affected, Mapping):
            continue
        pkg = affected.get("package") or {}
        if pkg.get("ecosystem") != ECOSYSTEM or canonicalize_name(str(pkg.get("name", ""))) != name:
            continue
        for rng in affected.get("ranges") or []:
            if isinstance(rng, Mapping) and rng.get("type") in {"ECOSYSTEM", "SEMVER"}:
                fixed.update(
                    str(e["fixed"])
                    for e in rng.get("events") or []
                    if isinstance(e, Mapping) and "fixed" in e
                )
    return sorted(fixed, key=lambda f: (parse_version(f) or Version("0"), f))
