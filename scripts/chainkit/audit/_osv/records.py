"""Reading OSV records from a directory (``*.json``/``*.yaml``, any depth) or an export zip,
with size limits, shape checks and fail-closed handling of unreadable range events."""

from __future__ import annotations

import json
import logging
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from chainkit.audit._errors import AdvisoryDatabaseError
from chainkit.audit._osv.match import Record, parse_version

__all__ = ["iter_members", "parse_record", "read_records"]

_log = logging.getLogger("chainkit.audit")

_MAX_RECORD_BYTES = 16 * 1024 * 1024
_MAX_DATABASE_BYTES = 4 * 1024 * 1024 * 1024
_RECORD_SUFFIXES = (".json", ".yaml", ".yml")


class _NoTimestampLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loading that keeps RFC 3339 timestamps as text, as OSV's JSON has them."""


_NoTimestampLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_record(name: str, data: bytes) -> Record:
    try:
        if name.endswith(".json"):
            record = json.loads(data)
        else:
            record = yaml.load(data, Loader=_NoTimestampLoader)  # noqa: S506 - a safe loader
    except (ValueError, yaml.YAMLError) as exc:
        kind = "JSON" if name.endswith(".json") else "YAML"
        raise AdvisoryDatabaseError(
            f"advisory database record {name} is not valid {kind}: {exc}",
            remediation="fix or remove that record, or re-download the database export",
        ) from exc
    if not isinstance(record, Mapping) or not isinstance(record.get("id"), str):
        raise AdvisoryDatabaseError(
            f"advisory database record {name} is not an OSV record (no string 'id')",
            remediation="--advisory-db expects OSV records, see https://ossf.github.io/osv-schema/",
        )
    _check_shape(name, record)
    return _without_unparsable_events(name, dict(record))


def _check_shape(name: str, record: Mapping[str, Any]) -> None:
    """The parts of the OSV schema that matching and pip-audit rely on."""

    def bad(where: str, what: str) -> AdvisoryDatabaseError:
        return AdvisoryDatabaseError(
            f"advisory database record {name}: {where} must be {what}",
            remediation="fix or remove that record; see https://ossf.github.io/osv-schema/",
        )

    affected = record.get("affected", [])
    if not isinstance(affected, list):
        raise bad("affected", "a list")
    for i, entry in enumerate(affected):
        if not isinstance(entry, Mapping):
            raise bad(f"affected[{i}]", "an object")
        if not isinstance(entry.get("package", {}), Mapping):
            raise bad(f"affected[{i}].package", "an object")
        if not isinstance(entry.get("versions", []), list):
            raise bad(f"affected[{i}].versions", "a list")
        ranges = entry.get("ranges", [])
        if not isinstance(ranges, list):
            raise bad(f"affected[{i}].ranges", "a list")
        for j, rng in enumerate(ranges):
            if not isinstance(rng, Mapping) or not isinstance(rng.get("events", []), list):
                raise bad(f"affected[{i}].ranges[{j}]", "an object with a list of events")
            if not all(isinstance(e, Mapping) for e in rng.get("events", [])):
                raise bad(f"affected[{i}].ranges[{j}].events", "a list of objects")


def _without_unparsable_events(name: str, record: dict[str, Any]) -> Record:
    """Drop ECOSYSTEM range events whose version is not PEP 440 (e.g. a date).

    Such an event cannot be compared (and pip-audit fails on a bad ``fixed`` version).
    Failing closed, the range then extends as if the event were absent - a ``fixed``
    that cannot be read fixes nothing - and a warning names the record.
    """
    changed = False
    affected_out = []
    for entry in record.get("affected") or []:
        ranges_out = []
        for rng in entry.get("ranges") or []:
            if rng.get("type") != "ECOSYSTEM":
                ranges_out.append(rng)
                continue
            events = [
                event
                for event in rng.get("events") or []
                if all(
                    str(event[kind]) == "0" or parse_version(str(event[kind])) is not None
                    for kind in ("introduced", "fixed", "last_affected")
                    if kind in event
                )
            ]
            if len(events) != len(rng.get("events") or []):
                _log.warning(
                    "advisory %s (%s): ignoring a non-PEP 440 version in a range; the range "
                    "is treated as open there (fail closed)",
                    record.get("id"),
                    name,
                )
                changed = True
            ranges_out.append({**rng, "events": events})
        affected_out.append({**entry, "ranges": ranges_out} if "ranges" in entry else entry)
    if changed:
        record["affected"] = affected_out
    return record


def iter_members(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every record file, in a stable order."""
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(_RECORD_SUFFIXES)
        )
        total = 0
        for p in files:
            size = p.stat().st_size
            total += size
            _check_size(p.relative_to(path).as_posix(), size, total)
            yield p.relative_to(path).as_posix(), p.read_bytes()
        return
    try:
        with zipfile.ZipFile(path) as zf:
            names = sorted(
                n
                for n in zf.namelist()
                if not n.endswith("/") and n.lower().endswith(_RECORD_SUFFIXES)
            )
            total = 0
            for n in names:
                size = zf.getinfo(n).file_size  # checked before anything is inflated
                total += size
                _check_size(n, size, total)
                yield n, zf.read(n)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise AdvisoryDatabaseError(
            f"advisory database {path} is not a readable zip archive: {exc}",
            remediation="re-download the OSV export (e.g. https://osv-vulnerabilities.storage."
            "googleapis.com/PyPI/all.zip) or pass a directory of OSV records",
        ) from exc


def _check_size(name: str, size: int, total: int) -> None:
    if size > _MAX_RECORD_BYTES or total > _MAX_DATABASE_BYTES:
        raise AdvisoryDatabaseError(
            f"advisory database member {name} is implausibly large ({size} bytes; "
            f"{total} bytes so far)",
            remediation="OSV records are a few KiB; re-download the database export",
        )


def read_records(path: Path) -> dict[str, Record]:
    records: dict[str, Record] = {}
    for name, data in iter_members(path):
        record = parse_record(name, data)
        record_id = str(record["id"])
        if record_id in records:
            _log.warning(
                "advisory database: duplicate record %s (%s); keeping the last", record_id, name
            )
        records[record_id] = record
    return records
