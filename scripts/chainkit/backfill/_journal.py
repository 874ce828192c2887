"""The apply journal: crash-safe record of every step, per plan.

Layout of ``<state-dir>/<plan_digest[:16]>/``::

    journal.jsonl        one JSON object per completed step, fsync'd before the next step
    lock                 held (flock) while an apply runs: no two applies of one plan
    work/<local>         downloads in progress (deleted once signed)
    work/.<local>.<random>.part   a download's temporary file until it is complete
    bundles/<local>      signed, verified bundles waiting for (or after) upload
    attestations/<id>    signed, verified release attestations

Names on disk come from :func:`chainkit.backfill._paths.local_name`, never from asset
names. The state directory may come from an Actions cache or artifact, so nothing is
written or read through a symlink: directories go through
:func:`~chainkit._internal.fs.ensure_dir`, files are opened with ``O_NOFOLLOW`` and
replaced with :func:`~chainkit._internal.fs.atomic_write_bytes` (:meth:`Journal.write`).

A ``.part`` file left behind by a process that was killed (SIGKILL, a power cut) or
whose download thread did not stop in time is removed when the journal is opened
(:meth:`Journal.remove_partial_downloads`, under the lock), and again at the end of a run.

A step is recorded only after its effect is durable (file renamed, upload answered),
so re-running after a kill at any point redoes at most the step that was interrupted -
and uploads are recognised by name and bytes, so never duplicated.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import stat
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from chainkit._internal.fs import atomic_write_bytes, ensure_dir, open_nofollow
from chainkit._internal.strict import DocumentError, Obj
from chainkit.backfill._errors import BackfillUsageError
from chainkit.backfill._paths import local_name, within

__all__ = ["Journal"]

_log = logging.getLogger("chainkit.backfill")

_PARTIAL = re.compile(r"\.[0-9]+-[0-9a-f]{16}\.[0-9a-f]{16}\.part")
"""A download's temporary file in ``work/``: ``.<local name>.<16 hex>.part``, as
:func:`~chainkit._internal.fs.atomic_writer` names it for :func:`local_name`'s names."""

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)

MAX_JOURNAL_BYTES = 64 * 1024 * 1024
"""A journal larger than this is refused (one line per step: far more than any plan)."""

_HEX64 = re.compile(r"[0-9a-f]{64}")

# The keys (and their kinds) of each step; "at" (when recorded) is optional everywhere.
_STEPS: dict[str, dict[str, str]] = {
    "plan": {"plan_digest": "hex"},
    "bundle-release.created": {"release_id": "int"},
    "asset.downloaded": {"asset_id": "int", "sha256": "hex"},
    "asset.signed": {"asset_id": "int", "sha256": "hex"},
    "asset.blocked": {"asset_id": "int", "sha256": "hex", "detail": "text"},
    "asset.uploaded": {
        "asset_id": "int",
        "sha256": "hex",
        "bundle_name": "text",
        "adopted?": "bool",
    },
    "asset.replaced": {"asset_id": "int", "deleted": "int"},
    "attestation.signed": {"release_id": "int"},
    "attestation.uploaded": {"release_id": "int", "name": "text", "adopted?": "bool"},
    "notes.updated": {"release_id": "int"},
    "attestation.created": {"release_id": "int", "part": "int", "id": "int", "subjects": "hex"},
}


def _event(data: Any, where: str, error: Callable[[DocumentError], Exception]) -> dict[str, Any]:
    """One journal event, its keys and types checked strictly (the file is not trusted)."""
    if not isinstance(data, dict) or data.get("step") not in _STEPS:
        shown = repr(data.get("step") if isinstance(data, dict) else data)[:80]
        raise error(DocumentError(f"{where}.step", f"is not a known step: {shown}"))
    fields = _STEPS[data["step"]]
    keys = ["step", "at", *(k.rstrip("?") for k in fields)]
    optional = ["at", *(k.rstrip("?") for k in fields if k.endswith("?"))]
    r = Obj(data, where, keys, error=error, optional=optional)
    r.text("at", optional=True, max_len=64)
    for key, kind in fields.items():
        name = key.rstrip("?")
        if not r.has(name):
            continue
        if kind == "int":
            r.integer(name)
        elif kind == "hex":
            r.text(name, pattern=_HEX64)
        elif kind == "bool":
            r.flag(name)
        else:
            r.text(name, max_len=4096)
    return {str(k): v for k, v in data.items()}


def _open(path: Path, flags: int, mode: str) -> IO[Any]:
    """Open ``path`` refusing a symlink at it (``O_NOFOLLOW``); private (0600) if created."""
    fd = open_nofollow(path, flags)
    return os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8")


class Journal:
    """Append-only step log plus the plan's work files."""

    def __init__(self, state_dir: Path, plan_digest: str) -> None:
        self.root = state_dir / plan_digest[:16]
        self.path = self.root / "journal.jsonl"
        self._events: list[dict[str, Any]] = []
        self._lock_fh: IO[Any] | None = None
        self._torn = False
        self._whole = 0
        self.plan_digest = plan_digest

    # -- lifecycle --------------------------------------------------------------------
    def open(self) -> Journal:
        try:
            ensure_dir(self.root.parent, mode=0o700)
            for sub in ("", "work", "bundles", "attestations"):
                ensure_dir(self.root / sub, mode=0o700)
            lock = _open(self.root / "lock", os.O_WRONLY | os.O_APPEND | os.O_CREAT, "a")
        except OSError as exc:
            raise BackfillUsageError(
                f"cannot use the state directory {self.root}: {exc}",
                remediation="pass a --state-dir that is a plain directory you can write",
            ) from exc
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise BackfillUsageError(
                f"another apply of this plan is running (lock {self.root / 'lock'})",
                remediation="wait for it to finish; a killed apply releases the lock",
            ) from None
        self._lock_fh = lock
        self.remove_partial_downloads()  # an earlier run's, killed mid-download
        try:
            self._events = list(self._read())
        except BackfillUsageError:
            self.close()
            raise
        except OSError as exc:  # e.g. a symlink planted at journal.jsonl
            self.close()
            raise BackfillUsageError(
                f"cannot use the state directory {self.root}: {exc}",
                remediation="pass a --state-dir that is a plain directory you can write",
            ) from exc
        header = self.first("plan")
        if header is None:
            self.record("plan", plan_digest=self.plan_digest)
        elif header.get("plan_digest") != self.plan_digest:
            raise BackfillUsageError(
                f"{self.path} belongs to another plan",
                remediation="use a fresh --state-dir for this plan",
            )
        return self

    def close(self) -> None:
        if self._lock_fh is not None:
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def __enter__(self) -> Journal:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _malformed(self, exc: DocumentError) -> BackfillUsageError:
        return BackfillUsageError(
            f"the state directory {self.root} holds a malformed journal: {exc}",
            remediation="delete the state directory (or pass a fresh --state-dir) and re-run",
        )

    def _read(self) -> Iterator[dict[str, Any]]:
        try:
            with _open(self.path, os.O_RDONLY, "rb") as fh:
                raw: bytes = fh.read(MAX_JOURNAL_BYTES + 1)
        except FileNotFoundError:
            return
        if len(raw) > MAX_JOURNAL_BYTES:
            raise self._malformed(
                DocumentError("journal.jsonl", f"is larger than {MAX_JOURNAL_BYTES} bytes")
            )
        # a torn last line (no newline): cut off before the next record is appended
        self._torn = bool(raw) and not raw.endswith(b"\n")
        self._whole = raw.rfind(b"\n") + 1
        lines = raw.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        for number, line in enumerate(lines, 1):
            where = f"journal.jsonl line {number}"
            try:
                event = json.loads(line.decode("utf-8"))
            except ValueError:
                if number == len(lines):
                    continue  # a torn last line from a kill mid-write: the step is redone
                raise self._malformed(DocumentError(where, "is not JSON")) from None
            yield _event(event, where, self._malformed)

    # -- events -----------------------------------------------------------------------
    def record(self, step: str, **fields: Any) -> dict[str, Any]:
        event = {"step": step, "at": datetime.now(timezone.utc).isoformat(), **fields}
        with _open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, "a") as fh:
            if self._torn:
                os.ftruncate(fh.fileno(), self._whole)
                self._torn = False
            fh.write(json.dumps(event, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self._events.append(event)
        return event

    def first(self, step: str, **match: Any) -> dict[str, Any] | None:
        event: dict[str, Any]
        for event in self._events:
            if event.get("step") == step and all(event.get(k) == v for k, v in match.items()):
                return event
        return None

    def last(self, step: str, **match: Any) -> dict[str, Any] | None:
        event: dict[str, Any]
        for event in reversed(self._events):
            if event.get("step") == step and all(event.get(k) == v for k, v in match.items()):
                return event
        return None

    # -- files ------------------------------------------------------------------------
    def remove_partial_downloads(self) -> int:
        """Delete the temporary files of unfinished downloads in this plan's ``work/``
        directory; the number deleted. Call it only while no download of this journal is
        under way (holding the lock, before a run's downloads start or after they stop).

        Only regular files whose names are chainkit's own ``.part`` names, only directly in
        ``work/`` (opened without following a symlink; entries are examined and unlinked
        relative to that open directory, never through a symlink): a symlink, a directory
        or any other name is left alone. Never raises: a file that cannot be deleted is
        logged and left (it never makes a later run fail, as its name is never reused).
        """
        work = self.root / "work"
        try:
            fd = os.open(work, _DIR_FLAGS | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            _log.debug("not sweeping %s: %s", work, exc)
            return 0
        removed, freed = 0, 0
        try:
            with os.scandir(fd) as entries:
                for entry in entries:
                    if not _PARTIAL.fullmatch(entry.name):
                        continue
                    try:
                        info = entry.stat(follow_symlinks=False)
                        if not stat.S_ISREG(info.st_mode):
                            continue
                        os.unlink(entry.name, dir_fd=fd)
                    except OSError as exc:
                        what = work / entry.name
                        _log.warning("could not remove the partial download %s: %s", what, exc)
                        continue
                    removed += 1
                    freed += info.st_size
        except OSError as exc:
            _log.warning("could not list %s for partial downloads: %s", work, exc)
        finally:
            os.close(fd)
        if removed:
            _log.info(
                "removed %d partial download(s) (%d bytes) left in %s by a stopped run",
                removed,
                freed,
                work,
            )
        return removed

    def work_file(self, asset_id: int, asset_name: str) -> Path:
        return within(self.root / "work", local_name(asset_id, asset_name))

    def bundle_file(self, asset_id: int, asset_name: str) -> Path:
        return within(self.root / "bundles", local_name(asset_id, asset_name) + ".sigstore.json")

    def attestation_file(self, release_id: int) -> Path:
        return within(self.root / "attestations", f"{int(release_id)}.sigstore.json")

    @staticmethod
    def write(path: Path, data: bytes) -> None:
        """Replace ``path`` (a file of this journal) with ``data``: atomic, private, and
        never through a symlink."""
        try:
            atomic_write_bytes(path, data, mode=0o600)
        except OSError as exc:
            raise BackfillUsageError(
                f"cannot write {path}: {exc}",
                remediation="pass a --state-dir that is a plain directory you can write",
            ) from exc

    @staticmethod
    def read(path: Path, *, max_bytes: int) -> bytes:
        """The bytes of a file of this journal, refusing a symlink and more than ``max_bytes``."""
        try:
            with _open(path, os.O_RDONLY, "rb") as fh:
                data: bytes = fh.read(max_bytes + 1)
        except OSError as exc:
            raise BackfillUsageError(
                f"cannot read {path}: {exc}", remediation="delete the state directory and re-run"
            ) from exc
        if len(data) > max_bytes:
            raise BackfillUsageError(
                f"{path} is larger than {max_bytes} bytes",
                remediation="delete the state directory and re-run",
            )
        return data
