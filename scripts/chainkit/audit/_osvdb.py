"""An offline OSV advisory database, and a loopback OSV-compatible endpoint serving it.

``--advisory-db PATH`` is a directory of OSV records (``*.json``, ``*.yaml``, ``*.yml``, at
any depth, as in pypa/advisory-database) or a zip export with records at its root (as OSV's
``PyPI/all.zip``). :func:`load_database` reads it once and caches the parsed records on disk
keyed by the SHA-256 of the content, so the next run with the same database only reads one
JSON file.

:class:`LoopbackOSV` serves the database on ``127.0.0.1:<free port>`` with the subset of
OSV's API (https://google.github.io/osv.dev/api/) that pip-audit and other clients use:
``POST /v1/query``, ``POST /v1/querybatch`` and ``GET /v1/vulns/{id}``. Matching follows the
OSV schema's evaluation rules: a version is affected when it is listed in
``affected[].versions`` or lies in an ``ECOSYSTEM`` range (introduced / fixed /
last_affected events, evaluated in version order); withdrawn records affect nothing; names
compare as PEP 503 canonical names and versions as PEP 440 versions.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from chainkit.audit._errors import AdvisoryDatabaseError

__all__ = [
    "AdvisoryDatabase",
    "LoopbackOSV",
    "ServedDatabase",
    "default_cache_dir",
    "load_database",
    "record_fix_versions",
]

_log = logging.getLogger("chainkit.audit")

_INDEX_FORMAT = 3
_MAX_RECORD_BYTES = 16 * 1024 * 1024
_MAX_DATABASE_BYTES = 4 * 1024 * 1024 * 1024
_RECORD_SUFFIXES = (".json", ".yaml", ".yml")
_ECOSYSTEM = "PyPI"

Record = Mapping[str, Any]


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/chainkit/audit``, else ``~/.cache/chainkit/audit``."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "chainkit" / "audit"


# --- matching -------------------------------------------------------------------------------


def _parse_version(text: str) -> Version | None:
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
            parsed = _parse_version(entry)
            out.add(str(parsed) if parsed is not None else entry)
    return frozenset(out)


def _spellings(version: Version) -> frozenset[str]:
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
class _Affected:
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
            parsed = _parse_version(text)
            if parsed is None:
                _log.debug("%s: skipping non-PEP 440 %s event %r", record_id, kind, text)
                continue
            events.append((parsed, kind))
    events.sort(key=lambda e: (e[0] is not None, e[0] or Version("0")))
    return _Range(tuple(events))


def _compile_affected(record: Record, package: str) -> list[_Affected]:
    record_id = str(record["id"])
    out: list[_Affected] = []
    for affected in record.get("affected") or []:
        if not isinstance(affected, Mapping):
            continue
        pkg = affected.get("package") or {}
        if pkg.get("ecosystem") != _ECOSYSTEM:
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
        out.append(_Affected(record_id, frozenset(versions), normal, tuple(ranges), tuple(fixed)))
    return out


def record_fix_versions(record: Record, package: str) -> list[str]:
    """The ``fixed`` events of ``record``'s ECOSYSTEM ranges for ``package``, PEP 440 sorted."""
    name = canonicalize_name(package)
    fixed: set[str] = set()
    for affected in record.get("affected") or []:
        if not isinstance(affected, Mapping):
            continue
        pkg = affected.get("package") or {}
        if (
            pkg.get("ecosystem") != _ECOSYSTEM
            or canonicalize_name(str(pkg.get("name", ""))) != name
        ):
            continue
        for rng in affected.get("ranges") or []:
            if isinstance(rng, Mapping) and rng.get("type") in {"ECOSYSTEM", "SEMVER"}:
                fixed.update(
                    str(e["fixed"])
                    for e in rng.get("events") or []
                    if isinstance(e, Mapping) and "fixed" in e
                )
    return sorted(fixed, key=lambda f: (_parse_version(f) or Version("0"), f))


# --- the database ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AdvisoryDatabase:
    """Parsed OSV records with a package index. Build it with :func:`load_database`."""

    source: str
    digest: str
    records: Mapping[str, Record]
    by_package: Mapping[str, tuple[str, ...]]
    by_alias: Mapping[str, tuple[str, ...]]
    _compiled: dict[str, list[_Affected]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_records(
        cls, records: Mapping[str, Record], *, source: str, digest: str
    ) -> AdvisoryDatabase:
        by_package: dict[str, list[str]] = {}
        by_alias: dict[str, list[str]] = {}
        for record_id, record in records.items():
            names = {
                canonicalize_name(str((a.get("package") or {}).get("name", "")))
                for a in record.get("affected") or []
                if isinstance(a, Mapping)
                and (a.get("package") or {}).get("ecosystem") == _ECOSYSTEM
            }
            for name in names:
                by_package.setdefault(name, []).append(record_id)
            for alias in record.get("aliases") or []:
                by_alias.setdefault(str(alias), []).append(record_id)
        return cls(
            source=source,
            digest=digest,
            records=records,
            by_package={k: tuple(sorted(v)) for k, v in by_package.items()},
            by_alias={k: tuple(sorted(v)) for k, v in by_alias.items()},
        )

    def __len__(self) -> int:
        return len(self.records)

    def _affected_for(self, package: str) -> list[_Affected]:
        compiled = self._compiled.get(package)
        if compiled is None:
            compiled = []
            for record_id in self.by_package.get(package, ()):
                compiled.extend(_compile_affected(self.records[record_id], package))
            self._compiled[package] = compiled  # benign race: same value from any thread
        return compiled

    def query(self, name: str, version: str) -> list[Record]:
        """Records affecting ``name`` (any spelling) at ``version``; withdrawn ones excluded."""
        package = canonicalize_name(name)
        parsed = _parse_version(version)
        spellings = _spellings(parsed) if parsed is not None else frozenset()
        hits: list[str] = []
        for affected in self._affected_for(package):
            if affected.record_id in hits:
                continue
            if affected.contains(version, parsed, spellings):
                hits.append(affected.record_id)
        return [self.records[i] for i in hits if not self.records[i].get("withdrawn")]

    def get(self, vuln_id: str) -> Record | None:
        """A record by its id, or by an alias when exactly one record carries it."""
        record = self.records.get(vuln_id)
        if record is not None:
            return record
        owners = self.by_alias.get(vuln_id, ())
        return self.records[owners[0]] if len(owners) == 1 else None

    def fix_versions(self, vuln_id: str, name: str) -> list[str]:
        """The ``fixed`` versions the record lists for ``name``, in PEP 440 order."""
        package = canonicalize_name(name)
        fixed = {f for a in self._affected_for(package) if a.record_id == vuln_id for f in a.fixed}
        return sorted(fixed, key=lambda f: (_parse_version(f) or Version("0"), f))


class _NoTimestampLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loading that keeps RFC 3339 timestamps as text, as OSV's JSON has them."""


_NoTimestampLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _parse_record(name: str, data: bytes) -> Record:
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
                    str(event[kind]) == "0" or _parse_version(str(event[kind])) is not None
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


def _iter_members(path: Path) -> Iterator[tuple[str, bytes]]:
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


def _digest(path: Path) -> str:
    h = hashlib.sha256(f"chainkit-osv-index-{_INDEX_FORMAT}\0".encode())
    if path.is_dir():
        for name, data in _iter_members(path):
            h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    else:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _read_records(path: Path) -> dict[str, Record]:
    records: dict[str, Record] = {}
    for name, data in _iter_members(path):
        record = _parse_record(name, data)
        record_id = str(record["id"])
        if record_id in records:
            _log.warning(
                "advisory database: duplicate record %s (%s); keeping the last", record_id, name
            )
        records[record_id] = record
    return records


def _write_cache(cache_file: Path, digest: str, records: Mapping[str, Record]) -> None:
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".osv-index-", dir=cache_file.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"format": _INDEX_FORMAT, "digest": digest, "records": records}, fh)
        Path(tmp).replace(cache_file)
    except OSError as exc:
        _log.warning("could not cache the advisory index in %s: %s", cache_file.parent, exc)


def _read_cache(cache_file: Path, digest: str) -> dict[str, Record] | None:
    try:
        with cache_file.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    if (
        not isinstance(data, dict)
        or data.get("format") != _INDEX_FORMAT
        or data.get("digest") != digest
    ):
        return None
    records = data.get("records")
    if not isinstance(records, dict) or not records:
        return None  # rebuild rather than trust an empty or malformed cache
    return records


def load_database(path: Path, *, cache_dir: Path | None = None) -> AdvisoryDatabase:
    """Read an OSV directory or zip (through the on-disk cache when it is current)."""
    if not path.exists():
        raise AdvisoryDatabaseError(
            f"advisory database {path} does not exist",
            remediation="pass a directory of OSV records or an OSV export zip to --advisory-db",
        )
    try:
        digest = _digest(path)
    except OSError as exc:
        raise AdvisoryDatabaseError(
            f"advisory database {path} could not be read: {exc}",
            remediation="check the path and its permissions",
        ) from exc
    cache_file = None if cache_dir is None else cache_dir / f"osv-index-{digest[:32]}.json"
    records = None if cache_file is None else _read_cache(cache_file, digest)
    if records is not None:
        _log.debug("advisory index: %d records from cache %s", len(records), cache_file)
    else:
        try:
            records = _read_records(path)
        except OSError as exc:
            raise AdvisoryDatabaseError(
                f"advisory database {path} could not be read: {exc}",
                remediation="check the path and its permissions",
            ) from exc
        if not records:
            raise AdvisoryDatabaseError(
                f"advisory database {path} holds no OSV records (*.json, *.yaml)",
                remediation="pass a directory of OSV records or an OSV export zip",
            )
        if cache_file is not None:
            _write_cache(cache_file, digest, records)
        _log.debug("advisory index: built from %d records in %s", len(records), path)
    return AdvisoryDatabase.from_records(records, source=str(path), digest=digest)


# --- the loopback endpoint ------------------------------------------------------------------


def _query_target(query: Any) -> tuple[str, str] | None:
    """(name, version) of an OSV query, or ``None`` when it is not a PyPI version query."""
    if not isinstance(query, Mapping):
        return None
    package = query.get("package")
    version = query.get("version")
    if not isinstance(package, Mapping):
        return None
    purl = package.get("purl")
    if isinstance(purl, str) and purl.startswith("pkg:pypi/"):
        body = purl[len("pkg:pypi/") :].split("?", 1)[0].split("#", 1)[0]
        purl_name, _, purl_version = body.partition("@")
        version = version or (unquote(purl_version) if purl_version else None)
        return (unquote(purl_name), str(version)) if version else None
    name = package.get("name")
    if package.get("ecosystem") != _ECOSYSTEM or not isinstance(name, str):
        return None
    return (name, str(version)) if isinstance(version, str) and version else None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One buffered write per response and no Nagle: keep-alive requests from pip-audit's
    # session would otherwise wait for delayed ACKs (~40 ms each).
    wbufsize = -1
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("loopback OSV: " + format, *args)

    def _send(self, status: int, body: Any) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, status: HTTPStatus, code: int, message: str) -> None:
        self._send(status, {"code": code, "message": message})

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw or b"null")

    def do_GET(self) -> None:
        prefix = "/v1/vulns/"
        if not self.path.startswith(prefix):
            self._error(HTTPStatus.NOT_FOUND, 5, "Not found.")
            return
        record = self.server.database.get(unquote(self.path[len(prefix) :]))
        if record is None:
            self._error(HTTPStatus.NOT_FOUND, 5, "Bug not found.")
            return
        self._send(HTTPStatus.OK, record)

    def do_POST(self) -> None:
        try:
            body = self._body()
        except ValueError:
            self._error(HTTPStatus.BAD_REQUEST, 3, "Invalid JSON body.")
            return
        db = self.server.database
        if self.path == "/v1/query":
            target = _query_target(body)
            if target is None:
                self._error(HTTPStatus.BAD_REQUEST, 3, "Expected a PyPI package and version.")
                return
            vulns = db.query(*target)
            self._send(HTTPStatus.OK, {"vulns": vulns} if vulns else {})
        elif self.path == "/v1/querybatch":
            queries = body.get("queries") if isinstance(body, Mapping) else None
            if not isinstance(queries, list):
                self._error(HTTPStatus.BAD_REQUEST, 3, "Expected {'queries': [...]}.")
                return
            results: list[dict[str, Any]] = []
            for query in queries:
                target = _query_target(query)
                hits = db.query(*target) if target is not None else []
                results.append(
                    {"vulns": [{"id": r["id"], "modified": r.get("modified")} for r in hits]}
                    if hits
                    else {}
                )
            self._send(HTTPStatus.OK, {"results": results})
        else:
            self._error(HTTPStatus.NOT_FOUND, 5, "Not found.")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, database: AdvisoryDatabase) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.database = database


class LoopbackOSV:
    """Serve an :class:`AdvisoryDatabase` on 127.0.0.1 while the context is open."""

    def __init__(self, database: AdvisoryDatabase) -> None:
        self._database = database
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("LoopbackOSV is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def query_url(self) -> str:
        """The URL to hand to pip-audit's ``--osv-url``."""
        return f"{self.base_url}/v1/query"

    def __enter__(self) -> LoopbackOSV:
        self._server = _Server(self._database)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="chainkit-loopback-osv",
            daemon=True,
        )
        self._thread.start()
        _log.debug("loopback OSV endpoint at %s", self.base_url)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None


# --- the endpoint in its own process --------------------------------------------------------


class ServedDatabase:
    """Load and serve an advisory database from a child process while the context is open.

    The child (``python -m chainkit.audit._serve PATH``) builds or loads the cached index and
    serves it with :class:`LoopbackOSV`; the parent only reads the endpoint's address. Keeping
    the server out of the auditing process means pip-audit's client and the server do not
    share one interpreter lock, and the index loads while pip-audit starts up. The child exits
    when its stdin closes, so it never outlives the parent.
    """

    def __init__(self, path: Path, *, cache_dir: Path | None) -> None:
        self._path = path
        self._cache_dir = cache_dir
        self._proc: subprocess.Popen[str] | None = None
        self._hello: dict[str, Any] = {}

    def start(self) -> None:
        """Start the child (idempotent); :meth:`wait_ready` collects its address."""
        import chainkit

        if self._proc is not None:
            return
        cmd = [sys.executable, "-m", "chainkit.audit._serve", str(self._path)]
        if self._cache_dir is not None:
            cmd += ["--cache-dir", str(self._cache_dir)]
        env = dict(os.environ)
        package_root = str(Path(chainkit.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        self._proc = subprocess.Popen(  # noqa: S603 - our own module, argument list
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )

    def wait_ready(self) -> None:
        proc = self._proc
        if proc is None:
            self.start()
            proc = self._proc
        assert proc is not None and proc.stdout is not None
        if self._hello:
            return
        line = proc.stdout.readline()
        try:
            hello = json.loads(line) if line else {}
        except ValueError:
            hello = {}
        if "error" in hello:
            self.close()
            raise AdvisoryDatabaseError(str(hello["error"]), remediation=hello.get("remediation"))
        if "url" not in hello:
            self.close()
            raise AdvisoryDatabaseError(
                f"the advisory database server for {self._path} did not start",
                remediation="re-run with -v; check that the database is readable",
            )
        self._hello = hello

    @property
    def base_url(self) -> str:
        self.wait_ready()
        return str(self._hello["url"])

    @property
    def query_url(self) -> str:
        return f"{self.base_url}/v1/query"

    @property
    def record_count(self) -> int:
        self.wait_ready()
        return int(self._hello.get("records", 0))

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        # Nothing to flush in the child (its cache is written atomically before it serves).
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> ServedDatabase:
        self.start()
        return self

    def __del__(self) -> None:  # never leave a child behind, even on an early error
        with contextlib.suppress(Exception):
            self.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
