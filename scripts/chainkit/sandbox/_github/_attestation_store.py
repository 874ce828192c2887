"""Persistent artifact attestations: metadata in ``github.db``, bundles as files.

Each stored attestation has an id, its repository, its predicate type, its initiator
(``user``) and one row per subject digest (``alg:hex``), so a single attestation with
several subjects is found under each of their digests. The bundle JSON, exactly as
received, is ``attestations/<id>.json`` under the state directory (written atomically,
never through a symlink), like asset bytes under ``assets/``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from chainkit._internal.fs import atomic_write_bytes, ensure_dir

if TYPE_CHECKING:
    from chainkit.sandbox._github._store import Row, Store

__all__ = ["FIRST_ID", "SCHEMA", "AttestationStore"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS attestations (
  id INTEGER PRIMARY KEY AUTOINCREMENT, repo_id INTEGER NOT NULL,
  predicate_type TEXT NOT NULL, initiator TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attestation_subjects (
  attestation_id INTEGER NOT NULL, digest TEXT NOT NULL,
  PRIMARY KEY (attestation_id, digest));
CREATE INDEX IF NOT EXISTS attestation_subjects_digest ON attestation_subjects (digest);
"""
FIRST_ID = 4_200_000
"""Realistic-looking first id (created by the store with the other tables)."""


class AttestationStore:
    """The attestations of one :class:`~chainkit.sandbox._github._store.Store`."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.dir = store.root / "attestations"
        ensure_dir(self.dir)

    def bundle_path(self, attestation_id: int) -> Path:
        return self.dir / f"{attestation_id}.json"

    def add(
        self,
        repo_id: int,
        *,
        bundle: bytes,
        predicate_type: str,
        digests: Iterable[str],
        created_at: str,
        initiator: str = "user",
    ) -> int:
        """Store one attestation; its new id (every call makes a new one)."""
        with self._store.transaction() as db:
            cur = db.execute(
                "INSERT INTO attestations (repo_id, predicate_type, initiator, created_at) "
                "VALUES (?, ?, ?, ?)",
                (repo_id, predicate_type, initiator, created_at),
            )
            ident = int(cur.lastrowid or 0)
            db.executemany(
                "INSERT OR IGNORE INTO attestation_subjects (attestation_id, digest) VALUES (?, ?)",
                [(ident, d) for d in digests],
            )
            atomic_write_bytes(self.bundle_path(ident), bundle)
        return ident

    def get(self, attestation_id: int) -> Row | None:
        return self._store.one("SELECT * FROM attestations WHERE id = ?", (attestation_id,))

    def for_digest(
        self, repo_ids: list[int], digest: str, predicate_types: frozenset[str] | None
    ) -> list[Row]:
        """Attestations of these repositories with a subject ``digest``, newest first."""
        wanted = set(repo_ids)
        rows = [
            r
            for r in self._store.all(
                "SELECT a.* FROM attestations a JOIN attestation_subjects s "
                "ON s.attestation_id = a.id WHERE s.digest = ? ORDER BY a.id DESC",
                (digest,),
            )
            if r["repo_id"] in wanted
        ]
        if predicate_types is None:
            return rows
        return [r for r in rows if r["predicate_type"] in predicate_types]

    def bundle(self, attestation_id: int) -> bytes:
        return self.bundle_path(attestation_id).read_bytes()
