"""The apply journal: crash-safe record of every step, per plan.

Layout of ``<state-dir>/<plan_digest[:16]>/``::

    journal.jsonl        one JSON object per completed step, fsync'd before the next step
    lock                 held (flock) while an apply runs: no two applies of one plan
    work/<local>         downloads in progress (deleted once signed)
    bundles/<local>      signed, verified bundles waiting for (or after) upload
    attestations/<id>    signed, verified release attestations

Names on disk come from :func:`chainkit.backfill._paths.local_name`, never from asset
names. A step is recorded only after its effect is durable (file renamed, upload
answered), so re-running after a kill at any point redoes at most the step that was
interrupted - and uploads are recognised by name and bytes, so never duplicated.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from chainkit.backfill._errors import BackfillUsageError
from chainkit.backfill._paths import local_name, within

__all__ = ["Journal"]


class Journal:
    """Append-only step log plus the plan's work files."""

    def __init__(self, state_dir: Path, plan_digest: str) -> None:
        self.root = state_dir / plan_digest[:16]
        self.path = self.root / "journal.jsonl"
        self._events: list[dict[str, Any]] = []
        self._lock_fh: Any = None
        self.plan_digest = plan_digest

    # -- lifecycle --------------------------------------------------------------------
    def open(self) -> Journal:
        for sub in ("", "work", "bundles", "attestations"):
            (self.root / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock_fh = (self.root / "lock").open("a")
        try:
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_fh.close()
            raise BackfillUsageError(
                f"another apply of this plan is running (lock {self.root / 'lock'})",
                remediation="wait for it to finish; a killed apply releases the lock",
            ) from None
        self._events = list(self._read())
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
            lines = self.path.read_text(encoding="utf-8").splitlines()
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
        with self.path.open("a", encoding="utf-8") as fh:
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


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` so that ``path`` holds either nothing or all of it."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
