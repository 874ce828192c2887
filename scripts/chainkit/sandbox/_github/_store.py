"""The persistent store of the GitHub stand-in: sqlite3 ``github.db`` plus one file per asset.

Everything a client can change (releases, assets, uploads, edits, ids) lives under the
state directory and survives a restart in a new process. All access goes through one
connection guarded by a lock: the HTTP server is threaded, sqlite3 is not.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from chainkit._internal.fs import create_new
from chainkit._internal.hashing import sha256_chunks
from chainkit.github._names import sanitize_asset_name
from chainkit.sandbox._errors import SandboxServiceError
from chainkit.sandbox._github import _attestation_store
from chainkit.sandbox._seed import Seed, asset_chunks

__all__ = ["Conflict", "Row", "Store", "iso", "now_iso"]

Row = dict[str, Any]

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


class Conflict(Exception):
    """A uniqueness rule was violated (duplicate tag, duplicate asset name)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    return iso(dt.datetime.now(dt.timezone.utc))


class Store:
    """Repositories, releases, assets and tokens of one state directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blob_dir = root / "assets"
        self.tmp_dir = root / "tmp"
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
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

    # ----------------------------------------------------------------- plumbing

    @property
    def _db(self) -> sqlite3.Connection:
        """The connection, (re)opened on first use after :meth:`close`."""
        with self._lock:
            if self._conn is None:
                conn = sqlite3.connect(
                    self.root / "github.db", check_same_thread=False, isolation_level=None
                )
                conn.row_factory = sqlite3.Row
                self._conn = conn
            return self._conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """An immediate transaction (rolled back on error), for the sibling stores."""
        return self._tx()

    def all(self, sql: str, args: tuple[Any, ...] = ()) -> list[Row]:
        return self._all(sql, args)

    def one(self, sql: str, args: tuple[Any, ...] = ()) -> Row | None:
        return self._one(sql, args)

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[Row]:
        with self._lock:
            return [dict(r) for r in self._db.execute(sql, args).fetchall()]

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> Row | None:
        with self._lock:
            r = self._db.execute(sql, args).fetchone()
        return dict(r) if r is not None else None

    def _meta(self, key: str) -> str | None:
        r = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if r is None else str(r["value"])

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def _touch(self) -> None:
        self._set_meta("last_write", now_iso())

    def close(self) -> None:
        """Close the connection (the next use reopens it)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def blob(self, asset_id: int) -> Path:
        return self.blob_dir / str(asset_id)

    def new_tmp(self) -> Path:
        return self.tmp_dir / f"{secrets.token_hex(8)}.part"

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
            self._set_meta("seeded", now_iso())
            self._touch()

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

    def releases(self, repo_id: int, *, drafts: bool) -> list[Row]:
        """Newest first: drafts (by created_at), then published ones by published_at."""
        return self._all(
            "SELECT * FROM releases WHERE repo_id = ? AND (draft = 0 OR ?) "
            "ORDER BY draft DESC, COALESCE(published_at, created_at) DESC, id DESC",
            (repo_id, int(drafts)),
        )

    def release(self, repo_id: int, release_id: int) -> Row | None:
        return self._one(
            "SELECT * FROM releases WHERE repo_id = ? AND id = ?", (repo_id, release_id)
        )

    def release_by_tag(self, repo_id: int, tag: str) -> Row | None:
        return self._one(
            "SELECT * FROM releases WHERE repo_id = ? AND tag = ? AND draft = 0", (repo_id, tag)
        )

    def latest_release(self, repo_id: int) -> Row | None:
        repo = self.repo_by_id(repo_id)
        if repo and repo["latest_release_id"]:
            r = self._one(
                "SELECT * FROM releases WHERE id = ? AND draft = 0 AND prerelease = 0",
                (repo["latest_release_id"],),
            )
            if r is not None:
                return r
        return self._one(
            "SELECT * FROM releases WHERE repo_id = ? AND draft = 0 AND prerelease = 0 "
            "ORDER BY created_at DESC, id DESC LIMIT 1",
            (repo_id,),
        )

    def assets(self, release_id: int) -> list[Row]:
        return self._all("SELECT * FROM assets WHERE release_id = ? ORDER BY id", (release_id,))

    def assets_of(self, release_ids: list[int]) -> dict[int, list[Row]]:
        out: dict[int, list[Row]] = {i: [] for i in release_ids}
        if not release_ids:
            return out
        marks = ",".join("?" * len(release_ids))
        for a in self._all(
            f"SELECT * FROM assets WHERE release_id IN ({marks}) ORDER BY id",  # noqa: S608
            tuple(release_ids),
        ):
            out[a["release_id"]].append(a)
        return out

    def asset(self, repo_id: int, asset_id: int) -> Row | None:
        return self._one(
            "SELECT a.* FROM assets a JOIN releases r ON a.release_id = r.id "
            "WHERE r.repo_id = ? AND a.id = ?",
            (repo_id, asset_id),
        )

    def asset_by_id(self, asset_id: int) -> Row | None:
        return self._one("SELECT * FROM assets WHERE id = ?", (asset_id,))

    def release_of_asset(self, asset: Row) -> Row:
        r = self._one("SELECT * FROM releases WHERE id = ?", (asset["release_id"],))
        assert r is not None
        return r

    # ----------------------------------------------------------------- writes

    def create_release(self, repo_id: int, fields: Row, *, make_latest: str | None) -> Row:
        now = now_iso()
        with self._tx() as db:
            if db.execute(
                "SELECT 1 FROM releases WHERE repo_id = ? AND tag = ?", (repo_id, fields["tag"])
            ).fetchone():
                raise Conflict("tag_name")
            cur = db.execute(
                "INSERT INTO releases (repo_id, tag, name, body, draft, prerelease, immutable, "
                "target_commitish, created_at, published_at, updated_at, untagged) "
                "VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)",
                (repo_id, fields["tag"], fields["name"], fields["body"], int(fields["draft"]),
                 int(fields["prerelease"]), fields["target_commitish"], now,
                 None if fields["draft"] else now, now, secrets.token_hex(10)),
            )  # fmt: skip
            rid = int(cur.lastrowid or 0)
            self._apply_latest(repo_id, rid, fields, make_latest)
            self._touch()
        r = self.release(repo_id, rid)
        assert r is not None
        return r

    def _apply_latest(self, repo_id: int, rid: int, fields: Row, make_latest: str | None) -> None:
        eligible = not fields["draft"] and not fields["prerelease"]
        if make_latest in (None, "true") and eligible:
            self._db.execute("UPDATE repos SET latest_release_id = ? WHERE id = ?", (rid, repo_id))
        elif make_latest == "false":
            # Keep whatever is latest now: pin it, so that the new release does not take over.
            cur = self._db.execute(
                "SELECT latest_release_id FROM repos WHERE id = ?", (repo_id,)
            ).fetchone()
            if cur is None or cur[0] is None or cur[0] == rid:
                prev = self._db.execute(
                    "SELECT id FROM releases WHERE repo_id = ? AND draft = 0 AND prerelease = 0 "
                    "AND id != ? ORDER BY created_at DESC, id DESC LIMIT 1",
                    (repo_id, rid),
                ).fetchone()
                self._db.execute(
                    "UPDATE repos SET latest_release_id = ? WHERE id = ?",
                    (prev[0] if prev else None, repo_id),
                )
        elif make_latest == "legacy":
            self._db.execute("UPDATE repos SET latest_release_id = NULL WHERE id = ?", (repo_id,))

    def update_release(
        self, repo_id: int, release_id: int, changes: Row, *, make_latest: str | None
    ) -> Row:
        now = now_iso()
        with self._tx() as db:
            cur = self.release(repo_id, release_id)
            assert cur is not None
            clash = "tag" in changes and changes["tag"] != cur["tag"]
            if (
                clash
                and db.execute(
                    "SELECT 1 FROM releases WHERE repo_id = ? AND tag = ? AND id != ?",
                    (repo_id, changes["tag"], release_id),
                ).fetchone()
            ):
                raise Conflict("tag_name")
            new = {**cur, **changes}
            if cur["draft"] and not new["draft"]:
                new["published_at"] = now
            elif not cur["draft"] and new["draft"]:
                new["published_at"] = None
            db.execute(
                "UPDATE releases SET tag = ?, name = ?, body = ?, draft = ?, prerelease = ?, "
                "target_commitish = ?, published_at = ?, updated_at = ? WHERE id = ?",
                (new["tag"], new["name"], new["body"], int(new["draft"]), int(new["prerelease"]),
                 new["target_commitish"], new["published_at"], now, release_id),
            )  # fmt: skip
            if make_latest is not None or (cur["draft"] and not new["draft"]):
                self._apply_latest(repo_id, release_id, new, make_latest)
            self._touch()
        r = self.release(repo_id, release_id)
        assert r is not None
        return r

    def set_immutable(self, release_id: int, immutable: bool) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE releases SET immutable = ?, updated_at = ? WHERE id = ?",
                (int(immutable), now_iso(), release_id),
            )
            self._touch()

    def delete_release(self, release_id: int) -> None:
        with self._tx() as db:
            ids = [r[0] for r in db.execute("SELECT id FROM assets WHERE release_id = ?",
                                            (release_id,))]  # fmt: skip
            db.execute("DELETE FROM assets WHERE release_id = ?", (release_id,))
            db.execute("DELETE FROM releases WHERE id = ?", (release_id,))
            db.execute(
                "UPDATE repos SET latest_release_id = NULL WHERE latest_release_id = ?",
                (release_id,),
            )
            self._touch()
        for i in ids:
            self.blob(i).unlink(missing_ok=True)

    def count_assets(self, release_id: int) -> int:
        r = self._one("SELECT COUNT(*) AS n FROM assets WHERE release_id = ?", (release_id,))
        return int(r["n"]) if r else 0

    def has_asset_named(self, release_id: int, name: str) -> bool:
        return (
            self._one("SELECT 1 FROM assets WHERE release_id = ? AND name = ?", (release_id, name))
            is not None
        )

    def add_asset(
        self,
        release_id: int,
        *,
        name: str,
        label: str | None,
        content_type: str,
        size: int,
        sha256: str,
        tmp: Path,
    ) -> Row:
        now = now_iso()
        with self._tx() as db:
            if db.execute(
                "SELECT 1 FROM assets WHERE release_id = ? AND name = ?", (release_id, name)
            ).fetchone():
                raise Conflict("name")
            cur = db.execute(
                "INSERT INTO assets (release_id, name, label, content_type, size, sha256, "
                "digest_mode, digest, state, download_count, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 'auto', ?, 'uploaded', 0, ?, ?)",
                (release_id, name, label, content_type, size, sha256, f"sha256:{sha256}",
                 now, now),
            )  # fmt: skip
            aid = int(cur.lastrowid or 0)
            tmp.replace(self.blob(aid))
            db.execute("UPDATE releases SET updated_at = ? WHERE id = ?", (now, release_id))
            self._touch()
        a = self.asset_by_id(aid)
        assert a is not None
        return a

    def update_asset(self, asset_id: int, changes: Row) -> Row:
        with self._tx() as db:
            cur = self.asset_by_id(asset_id)
            assert cur is not None
            new = {**cur, **changes}
            if (
                new["name"] != cur["name"]
                and db.execute(
                    "SELECT 1 FROM assets WHERE release_id = ? AND name = ? AND id != ?",
                    (cur["release_id"], new["name"], asset_id),
                ).fetchone()
            ):
                raise Conflict("name")
            db.execute(
                "UPDATE assets SET name = ?, label = ?, state = ?, updated_at = ? WHERE id = ?",
                (new["name"], new["label"], new["state"], now_iso(), asset_id),
            )
            self._touch()
        a = self.asset_by_id(asset_id)
        assert a is not None
        return a

    def delete_asset(self, asset_id: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM assets WHERE id = ?", (asset_id,))
            self._touch()
        self.blob(asset_id).unlink(missing_ok=True)

    def replace_content(
        self, asset_id: int, tmp: Path, size: int, sha256: str, *, digest: str
    ) -> Row:
        """Swap an asset's bytes (test drift); ``digest`` is ``keep`` or ``update``."""
        with self._tx() as db:
            tmp.replace(self.blob(asset_id))
            if digest == "update":
                db.execute(
                    "UPDATE assets SET size = ?, sha256 = ?, digest_mode = 'auto', digest = ?, "
                    "updated_at = ? WHERE id = ?",
                    (size, sha256, f"sha256:{sha256}", now_iso(), asset_id),
                )
            else:
                db.execute(
                    "UPDATE assets SET size = ?, sha256 = ?, updated_at = ? WHERE id = ?",
                    (size, sha256, now_iso(), asset_id),
                )
            self._touch()
        a = self.asset_by_id(asset_id)
        assert a is not None
        return a

    def count_download(self, asset_id: int) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE assets SET download_count = download_count + 1 WHERE id = ?", (asset_id,)
            )

    def tags(self, repo_id: int) -> list[Row]:
        """Tags of published releases, newest tag name first."""
        return self._all(
            "SELECT tag FROM releases WHERE repo_id = ? AND draft = 0 ORDER BY tag DESC",
            (repo_id,),
        )
