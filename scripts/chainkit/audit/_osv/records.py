"""Reading OSV records from a directory (``*.json``/``*.yaml``, any depth) or an export zip,
with size limits, shape checks and fail-closed handling of unreadable range events."""

from __future__ import annotations

import datetime as dt
import logging
import re
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from chainkit._internal.strict import DocumentError, load_json, load_yaml
from chainkit.audit._errors import AdvisoryDatabaseError
from chainkit.audit._osv.match import Record, parse_version

__all__ = ["check_record", "iter_members", "parse_record", "read_records"]

_log = logging.getLogger("chainkit.audit")

_MAX_RECORD_BYTES = 16 * 1024 * 1024
_MAX_DATABASE_BYTES = 4 * 1024 * 1024 * 1024
_MAX_MEMBERS = 1_000_000
_RECORD_SUFFIXES = (".json", ".yaml", ".yml")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # would forge a log line
_TIMESTAMP_KEYS = ("modified", "published", "withdrawn")


def _rfc3339(value: dt.datetime | dt.date) -> str:
    """A YAML timestamp as OSV's JSON spells it (UTC, ``Z``), which pip-audit parses."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc)
    fraction = f".{value.microsecond:06d}" if value.microsecond else ""
    # not strftime: glibc writes year 1 as "1", which pip-audit cannot parse back
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T"
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}{fraction}Z"
    )


def _plain(value: Any) -> Any:
    """YAML's timestamps (the safe loader makes them ``datetime``) back to text, as in JSON."""
    if isinstance(value, (dt.datetime, dt.date)):
        return _rfc3339(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def parse_record(name: str, data: bytes) -> Record:
    """One record, parsed strictly: ``chainkit._internal.strict`` refuses duplicate keys,
    YAML aliases (an alias bomb), excessive depth and size; then the OSV shape is checked."""
    try:
        if name.lower().endswith(".json"):
            record = load_json(data, source=name, max_bytes=_MAX_RECORD_BYTES)
        else:
            record = _plain(load_yaml(data, source=name, max_bytes=_MAX_RECORD_BYTES))
    except DocumentError as exc:
        kind = "JSON" if name.lower().endswith(".json") else "YAML"
        raise AdvisoryDatabaseError(
            f"advisory database record {name} is not valid {kind}: {exc.detail}",
            remediation="fix or remove that record, or re-download the database export",
        ) from None
    return check_record(name, record)


def check_record(name: str, record: Any) -> Record:
    """``record`` as matching and pip-audit need it, or an :class:`AdvisoryDatabaseError`."""
    if not isinstance(record, Mapping) or not isinstance(record.get("id"), str):
        raise AdvisoryDatabaseError(
            f"advisory database record {name} is not an OSV record (no string 'id')",
            remediation="--advisory-db expects OSV records, see https://ossf.github.io/osv-schema/",
        )
    _check_shape(name, record)
    return _without_unparsable_events(name, _normal_timestamps(name, dict(record)))


def _normal_timestamps(name: str, record: dict[str, Any]) -> dict[str, Any]:
    """Timestamps pip-audit can parse (``...Z``); an unreadable one is dropped, with a warning
    (they only inform the report)."""
    for key in _TIMESTAMP_KEYS:
        value = record.get(key)
        if value is None:
            continue
        try:
            parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            _log.warning("advisory database record %s: ignoring an unreadable %s", name, key)
            del record[key]
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        record[key] = _rfc3339(parsed)
    return record


def _check_shape(name: str, record: Mapping[str, Any]) -> None:
    """The parts of the OSV schema that matching and pip-audit rely on."""

    def bad(where: str, what: str) -> AdvisoryDatabaseError:
        return AdvisoryDatabaseError(
            f"advisory database record {name}: {where} must be {what}",
            remediation="fix or remove that record; see https://ossf.github.io/osv-schema/",
        )

    schema = record.get("schema_version", "1.0.0")
    if not isinstance(schema, str) or parse_version(schema) is None:
        raise bad("schema_version", "a version string")
    for key in ("summary", "details"):
        if not isinstance(record.get(key, ""), str):
            raise bad(key, "a string")
    aliases = record.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise bad("aliases", "a list of strings")
    if any(_CONTROL.search(text) for text in (record["id"], *aliases)):
        raise bad("id and aliases", "printable text")
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
    """Fail closed on ECOSYSTEM range events whose version is not PEP 440 (e.g. a date).

    Such an event cannot be compared (and pip-audit fails on a bad ``fixed`` version).
    The range then extends over what cannot be read: a ``fixed`` or ``last_affected`` that
    cannot be read fixes nothing (it is dropped), an ``introduced`` that cannot be read
    opens the range at the beginning (``"0"``). A warning names the record.
    """
    changed = False
    affected_out = []
    for entry in record.get("affected") or []:
        ranges_out = []
        for rng in entry.get("ranges") or []:
            if rng.get("type") != "ECOSYSTEM":
                ranges_out.append(rng)
                continue
            events = []
            unreadable = False
            for event in rng.get("events") or []:
                kept = dict(event)
                for kind in ("introduced", "fixed", "last_affected"):
                    if kind in kept and not _readable(kept[kind]):
                        unreadable = True
                        if kind == "introduced":
                            kept[kind] = "0"  # opens the range at the beginning of time
                        else:
                            del kept[kind]  # fixes (or ends) nothing
                if kept:
                    events.append(kept)
            if unreadable:
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


def _readable(value: Any) -> bool:
    return str(value) == "0" or parse_version(str(value)) is not None


def iter_members(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every record file, in a stable order."""
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(_RECORD_SUFFIXES)
        )
        total = 0
        for p in files:
            rel = p.relative_to(path)
            if _CONTROL.search(rel.as_posix()):
                raise AdvisoryDatabaseError(
                    f"advisory database {path} has a file name with control characters",
                    remediation="an OSV database's file names are record ids; rename or remove it",
                )
            if p.is_symlink() or any((path / q).is_symlink() for q in rel.parents[:-1]):
                raise AdvisoryDatabaseError(
                    f"advisory database member {rel.as_posix()} is (under) a symlink",
                    remediation="an OSV database holds record files only; remove the link",
                )
            size = p.stat().st_size
            total += size
            _check_size(p.relative_to(path).as_posix(), size, total)
            yield p.relative_to(path).as_posix(), p.read_bytes()
        return
    try:
        with zipfile.ZipFile(path) as zf:
            if len(zf.infolist()) > _MAX_MEMBERS:
                raise AdvisoryDatabaseError(
                    f"advisory database {path} has more than {_MAX_MEMBERS} members",
                    remediation="OSV's PyPI export has tens of thousands; re-download it",
                )
            names = sorted(
                n
                for n in zf.namelist()
                if not n.endswith("/") and n.lower().endswith(_RECORD_SUFFIXES)
            )
            total = 0
            if any(_CONTROL.search(n) for n in names):
                raise AdvisoryDatabaseError(
                    f"advisory database {path} has a member name with control characters",
                    remediation="re-download the OSV export; its names are record ids",
                )
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
