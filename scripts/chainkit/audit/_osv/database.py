"""The parsed database, its package index, and the on-disk index cache.

:func:`load_database` reads a directory or zip once and caches the parsed records under
``--cache-dir``, keyed by the SHA-256 of the content, so the next run with the same database
only reads one JSON file. The cache is written atomically and never through a symlink
(:mod:`chainkit._internal.fs`); a cache that does not match is rebuilt, never trusted.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version

from chainkit._internal.fs import atomic_write_text, ensure_dir, open_nofollow
from chainkit._internal.hashing import CHUNK_SIZE, sha256_chunks
from chainkit.audit._errors import AdvisoryDatabaseError
from chainkit.audit._osv.match import (
    ECOSYSTEM,
    Affected,
    Record,
    compile_affected,
    parse_version,
    spellings,
)
from chainkit.audit._osv.records import check_record, iter_members, read_records

__all__ = ["AdvisoryDatabase", "default_cache_dir", "load_database"]

_log = logging.getLogger("chainkit.audit")

_INDEX_FORMAT = 4  # 4: YAML timestamps as text, unreadable 'introduced' opens the range


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/chainkit/audit``, else ``~/.cache/chainkit/audit``."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "chainkit" / "audit"


@dataclass(frozen=True)
class AdvisoryDatabase:
    """Parsed OSV records with a package index. Build it with :func:`load_database`."""

    source: str
    digest: str
    records: Mapping[str, Record]
    by_package: Mapping[str, tuple[str, ...]]
    by_alias: Mapping[str, tuple[str, ...]]
    _compiled: dict[str, list[Affected]] = field(default_factory=dict, repr=False, compare=False)

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
                if isinstance(a, Mapping) and (a.get("package") or {}).get("ecosystem") == ECOSYSTEM
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

    def _affected_for(self, package: str) -> list[Affected]:
        compiled = self._compiled.get(package)
        if compiled is None:
            compiled = []
            for record_id in self.by_package.get(package, ()):
                compiled.extend(compile_affected(self.records[record_id], package))
            self._compiled[package] = compiled  # benign race: same value from any thread
        return compiled

    def query(self, name: str, version: str) -> list[Record]:
        """Records affecting ``name`` (any spelling) at ``version``; withdrawn ones excluded."""
        package = canonicalize_name(name)
        parsed = parse_version(version)
        forms = spellings(parsed) if parsed is not None else frozenset()
        hits: list[str] = []
        for affected in self._affected_for(package):
            if affected.record_id in hits:
                continue
            if affected.contains(version, parsed, forms):
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
        return sorted(fixed, key=lambda f: (parse_version(f) or Version("0"), f))


def _digest(path: Path) -> str:
    prefix = f"chainkit-osv-index-{_INDEX_FORMAT}\0".encode()
    if path.is_dir():
        members = (
            name.encode() + b"\0" + sha256_chunks([data]).encode()
            for name, data in iter_members(path)
        )
        return sha256_chunks(itertools.chain([prefix], members))
    with path.open("rb") as fh:
        return sha256_chunks(itertools.chain([prefix], iter(lambda: fh.read(CHUNK_SIZE), b"")))


def _linked(cache_dir: Path) -> bool:
    """``cache_dir`` is a symlink: someone else decides where the index would be read from
    and written to."""
    return cache_dir.is_symlink()


def _write_cache(cache_file: Path, digest: str, records: Mapping[str, Record]) -> None:
    try:
        ensure_dir(cache_file.parent)
        text = json.dumps({"format": _INDEX_FORMAT, "digest": digest, "records": records})
        atomic_write_text(cache_file, text)
    except OSError as exc:
        _log.warning("could not cache the advisory index in %s: %s", cache_file.parent, exc)


def _read_cache(cache_file: Path, digest: str) -> dict[str, Record] | None:
    """The cached records, or ``None`` (rebuild) for anything not exactly as chainkit writes
    it: a symlink, a file another user owns or others may write, the wrong digest, a record
    of the wrong shape. A cache may be restored from somewhere an attacker reaches (an Actions
    cache); it is never read through a link and its records are checked like the database's."""
    try:
        fd = open_nofollow(cache_file, os.O_RDONLY)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o022:
                _log.warning("advisory index cache %s is writable by others; rebuilt", cache_file)
                return None
            if hasattr(os, "getuid") and info.st_uid != os.getuid():
                _log.warning("advisory index cache %s has another owner; rebuilt", cache_file)
                return None
            data = json.loads(fh.read())
    except (OSError, ValueError, RecursionError):
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
    try:
        checked = {key: check_record(f"cache:{key}", value) for key, value in records.items()}
    except AdvisoryDatabaseError:
        _log.warning("advisory index cache %s holds a malformed record; rebuilt", cache_file)
        return None
    if any(str(record["id"]) != key for key, record in checked.items()):
        return None
    return checked


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
    if cache_dir is not None and _linked(cache_dir):
        _log.warning(
            "the cache directory %s is (under) a symlink; the advisory index is not cached",
            cache_dir,
        )
        cache_dir = None
    cache_file = None if cache_dir is None else cache_dir / f"osv-index-{digest[:32]}.json"
    records = None if cache_file is None else _read_cache(cache_file, digest)
    if records is not None:
        _log.debug("advisory index: %d records from cache %s", len(records), cache_file)
    else:
        try:
            records = read_records(path)
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
