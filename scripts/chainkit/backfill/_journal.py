"""The apply journal: crash-safe record of every step, per plan.

Layout of ``<state-dir>/<plan_digest[:16]>/``::

    journal.jsonl        one JSON object per completed step, fsync'd before the next step
    lock                 held (flock) while an apply runs: no two applies of one plan
    work/<local>         downloads in progress (deleted once signed)
    bundles/<local>      signed, verified bundles waiting for (or after) upload
    attestations/<id>    signed, verified release attestations

Names on disk come from :func:`chainkit.backfill._paths.local_name`, never from asset
names. The state directory may come from an Actions cache or artifact, so nothing is
written or read through a symlink: directories go through
:func:`~chainkit._internal.fs.ensure_dir`, files are opened with ``O_NOFOLLOW`` and
replaced with :func:`~chainkit._internal.fs.atomic_write_bytes` (:meth:`Journal.write`).

A step is recorded only after its effect is durable (file renamed, upload answered),
so re-running after a kill at any point redoes at most the step that was interrupted -
and uploads are recognised by name and bytes, so never duplicated.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from chainkit._internal.fs import atomic_write_bytes, ensure_dir, open_nofollow
from chainkit.backfill._errors import BackfillUsageError
from chainkit.backfill._paths import local_name, within

__all__ = ["Journal"]


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
        try:
            self._events = list(self._read())
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

    def _read(self) -> Iterator[dict[str, Any]]:
        try:
            with _open(self.path, os.O_RDONLY, "r") as fh:
                lines = fh.read().splitlines()
        except FileNotFoundError:
            return
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a torn last line from a kill mid-write: the step is redone
            if isinstance(event, dict):
                yield {str(k): v for k, v in event.items()}

    # -- events -----------------------------------------------------------------------
    def record(self, step: str, **fields: Any) -> dict[str, Any]:
        event = {"step": step, "at": datetime.now(timezone.utc).isoformat(), **fields}
        with _open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, "a") as fh:
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
