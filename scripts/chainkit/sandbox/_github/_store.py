"""The persistent store of the GitHub stand-in: sqlite3 ``github.db`` plus files.

Everything a client can change (releases, assets, uploads, edits, attestations, ids) lives
under the state directory and survives a restart in a new process. :class:`Store` owns
the schema, seeding, tokens, repositories, environments and tags; it inherits release
and asset queries (``_release_store``) and the locked connection (``_db``), and holds the
attestations (``_attestation_store``).
"""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from chainkit._internal.fs import create_new
from chainkit._internal.hashing import sha256_chunks
from chainkit.github._names import sanitize_asset_name
from chainkit.sandbox._errors import SandboxServiceError
from chainkit.sandbox._github import _attestation_store
from chainkit.sandbox._github._db import Conflict, Row, iso, now_iso
from chainkit.sandbox._github._limits import limits_from_json, limits_json
from chainkit.sandbox._github._release_store import ReleaseStore
from chainkit.sandbox._seed import Seed, asset_chunks
from chainkit.sandbox._seed_model import LimitsSpec

__all__ = ["Conflict", "Row", "Store", "iso", "now_iso"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  value TEXT PRIMARY KEY, can_write INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS token_permissions (
  value TEXT NOT NULL, scope TEXT NOT NULL, level TEXT NOT NULL, PRIMARY KEY (value, scope));
CREATE TABLE IF NOT EXISTS repos (
  id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, name TEXT NOT NULL,
  private INTEGER NOT NULL, default_branch TEXT NOT NULL, created_at TEXT NOT NULL,
  latest_release_id INTEGER,
  UNIQUE (owner COLLATE NOCASE, name COLLATE NOCASE));
CREATE TABLE IF NOT EXISTS environments (
  id INTEGER PRIMARY KEY AUTOINCREMENT, repo_id INTEGER NOT NULL, name TEXT NOT NULL,
  reviewers TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS releases (
  id INTEGER PRIMARY KEY AUTOINCREMENT, repo_id INTEGER NOT NULL, tag TEXT NOT NULL,
  name TEXT, body TEXT, draft INTEGER NOT NULL, prerelease INTEGER NOT NULL,
  immutable INTEGER NOT NULL, target_commitish TEXT NOT NULL, created_at TEXT NOT NULL,
  published_at TEXT, updated_at TEXT NOT NULL, untagged TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS assets (
  id INTEGER PRIMARY KEY AUTOINCREMENT, release_id INTEGER NOT NULL, name TEXT NOT NULL,
  label TEXT, content_type TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,
  digest_mode TEXT NOT NULL, digest TEXT, state TEXT NOT NULL, download_count INTEGER NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tag_moves (
  repo_id INTEGER NOT NULL, tag TEXT NOT NULL, sha TEXT NOT NULL, PRIMARY KEY (repo_id, tag));
"""
# Realistic-looking starting ids (GitHub's are large and distinct per type).
_FIRST_IDS = {"repos": 700_000_000, "environments": 1_900_000_000, "releases": 150_000_000,
              "assets": 180_000_000,
              "attestations": _attestation_store.FIRST_ID}  # fmt: skip


def _written(fh: BinaryIO, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Pass ``chunks`` through, writing each to ``fh`` (hash and write in one pass)."""
    for chunk in chunks:
        fh.write(chunk)
        yield chunk


class Store(ReleaseStore):
    """Repositories, releases, assets and tokens of one state directory."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.blob_dir = root / "assets"
        self.tmp_dir = root / "tmp"
        try:
            self.blob_dir.mkdir(parents=True, exist_ok=True)
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
            self._db.executescript(_SCHEMA + _attestation_store.SCHEMA)
            self.attestations = _attestation_store.AttestationStore(self)
        except (OSError, sqlite3.Error) as exc:
            raise SandboxServiceError(
                f"cannot open the GitHub stand-in's state in {self.root}: {exc}",
                remediation="check the directory is writable, or remove it to start afresh",
            ) from None
        with self._tx():
            for table, first in _FIRST_IDS.items():
                got = self._db.execute(
                    "SELECT 1 FROM sqlite_sequence WHERE name = ?", (table,)
                ).fetchone()
                if got is None:
                    self._db.execute(
                        "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, first)
                    )
            if self._meta("storage_key") is None:
                self._set_meta("storage_key", secrets.token_hex(16))
            if self._meta("last_write") is None:
                self._set_meta("last_write", now_iso())

    @property
    def seeded(self) -> bool:
        return self._meta("seeded") is not None

    @property
    def storage_key(self) -> str:
        return self._meta("storage_key") or ""

    @property
    def last_write(self) -> str:
        return self._meta("last_write") or now_iso()

    # ----------------------------------------------------------------- seeding

    def load_seed(self, seed: Seed) -> None:
        """Fill an empty store from ``seed`` (asset bytes are streamed to disk)."""
        with self._tx() as db:
            if self.seeded:
                return
            for tok in seed.tokens:
                db.execute(
                    "INSERT INTO tokens (value, can_write) VALUES (?, ?)",
                    (tok.value, int(tok.can_write)),
                )
                db.executemany(
                    "INSERT INTO token_permissions (value, scope, level) VALUES (?, ?, ?)",
                    [(tok.value, scope, level) for scope, level in tok.permissions.items()],
                )
            for repo in seed.repos:
                published = [r.published_at for r in repo.releases if r.published_at]
                base = (
                    max(published) if published else dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
                )
                repo_created = min(published) - dt.timedelta(days=30) if published else base
                cur = db.execute(
                    "INSERT INTO repos (owner, name, private, default_branch, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (repo.owner, repo.name, int(repo.private), repo.default_branch,
                     iso(repo_created)),
                )  # fmt: skip
                repo_id = int(cur.lastrowid or 0)
                for env in repo.environments:
                    db.execute(
                        "INSERT INTO environments (repo_id, name, reviewers, created_at) "
                        "VALUES (?, ?, ?, ?)",
                        (repo_id, env.name, "\n".join(env.required_reviewers), iso(repo_created)),
                    )

                # Insert oldest first so that ids grow with time, as on GitHub.
                draft_time = base + dt.timedelta(hours=1)

                def when(r: Any, fallback: dt.datetime = draft_time) -> dt.datetime:
                    return r.created_at or r.published_at or fallback

                for rel in sorted(repo.releases, key=when):
                    created = when(rel)
                    cur = db.execute(
                        "INSERT INTO releases (repo_id, tag, name, body, draft, prerelease, "
                        "immutable, target_commitish, created_at, published_at, updated_at, "
                        "untagged) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (repo_id, rel.tag, rel.name, rel.body, int(rel.draft),
                         int(rel.prerelease), int(rel.immutable), rel.target_commitish,
                         iso(created), iso(rel.published_at) if rel.published_at else None,
                         iso(rel.published_at or created), secrets.token_hex(10)),
                    )  # fmt: skip
                    release_id = int(cur.lastrowid or 0)
                    stamp = iso(rel.published_at or created)
                    for asset in rel.assets:
                        tmp = self.new_tmp()
                        with create_new(tmp, mode=0o644) as fh:
                            sha = sha256_chunks(
                                _written(fh, asset_chunks(repo.full_name, rel.tag, asset))
                            )
                        digest = {"auto": f"sha256:{sha}", "fixed": asset.digest}.get(
                            asset.digest_mode
                        )
                        cur = db.execute(
                            "INSERT INTO assets (release_id, name, label, content_type, size, "
                            "sha256, digest_mode, digest, state, download_count, created_at, "
                            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'uploaded', 0, ?, ?)",
                            (release_id, sanitize_asset_name(asset.name), asset.label,
                             asset.content_type, asset.byte_size, sha, asset.digest_mode, digest,
                             stamp, stamp),
                        )  # fmt: skip
                        tmp.replace(self.blob(int(cur.lastrowid or 0)))
            self._set_meta("limits", limits_json(seed.limits))
            self._set_meta("seeded", now_iso())
            self._touch()

    def limits(self) -> LimitsSpec:
        """The seeded secondary limits (github.com's for a store seeded without them)."""
        raw = self._meta("limits")
        return LimitsSpec() if raw is None else limits_from_json(raw)

    # ----------------------------------------------------------------- reads

    def token(self, value: str) -> Row | None:
        """``{"can_write", "permissions"}`` of a token, or None for an unknown one.

        ``attestations`` defaults to the ``contents`` level when the seed does not say.
        """
        row = self._one("SELECT can_write FROM tokens WHERE value = ?", (value,))
        if row is None:
            return None
        perms = {
            r["scope"]: r["level"]
            for r in self._all(
                "SELECT scope, level FROM token_permissions WHERE value = ?", (value,)
            )
        }
        perms.setdefault("contents", "write" if row["can_write"] else "read")
        perms.setdefault("attestations", perms["contents"])
        return {"can_write": bool(row["can_write"]), "permissions": perms}

    def repo_by_name(self, owner: str, name: str) -> Row | None:
        return self._one(
            "SELECT * FROM repos WHERE owner = ? COLLATE NOCASE AND name = ? COLLATE NOCASE",
            (owner, name),
        )

    def repos(self, owner: str | None = None) -> list[Row]:
        """Every repository (of ``owner``, case-insensitively), by id."""
        if owner is None:
            return self._all("SELECT * FROM repos ORDER BY id")
        return self._all("SELECT * FROM repos WHERE owner = ? COLLATE NOCASE ORDER BY id", (owner,))

    def repo_by_id(self, repo_id: int) -> Row | None:
        return self._one("SELECT * FROM repos WHERE id = ?", (repo_id,))

    def environment(self, repo_id: int, name: str) -> Row | None:
        return self._one(
            "SELECT * FROM environments WHERE repo_id = ? AND name = ? COLLATE NOCASE",
            (repo_id, name),
        )

    def tags(self, repo_id: int) -> list[Row]:
        """Tags of published releases, newest tag name first, with the commit ``sha`` a
        test moved the tag to (``None``: the tag's derived commit)."""
        return self._all(
            "SELECT r.tag AS tag, m.sha AS sha FROM releases r LEFT JOIN tag_moves m "
            "ON m.repo_id = r.repo_id AND m.tag = r.tag "
            "WHERE r.repo_id = ? AND r.draft = 0 ORDER BY r.tag DESC",
            (repo_id,),
        )

    def move_tag(self, repo_id: int, tag: str, sha: str) -> None:
        """Point ``tag`` at commit ``sha`` (a force-pushed tag; the release is unchanged)."""
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO tag_moves (repo_id, tag, sha) VALUES (?, ?, ?)",
                (repo_id, tag, sha),
            )
