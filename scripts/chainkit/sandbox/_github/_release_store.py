"""Releases and release assets in the GitHub stand-in's store (rows and asset files).

Reads apply GitHub's orders (newest first; drafts first), writes keep its rules (unique
tags and asset names, ``make_latest``), and asset bytes live in ``assets/<id>``, moved
into place from a temporary file by an atomic rename.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from chainkit.sandbox._github._db import Conflict, Database, Row, now_iso

__all__ = ["ReleaseStore"]


class ReleaseStore(Database):
    """Release and asset queries and changes; :class:`~._store.Store` adds the rest."""

    blob_dir: Path
    tmp_dir: Path

    def blob(self, asset_id: int) -> Path:
        return self.blob_dir / str(asset_id)

    def new_tmp(self) -> Path:
        return self.tmp_dir / f"{secrets.token_hex(8)}.part"

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
        repo = self._one("SELECT latest_release_id FROM repos WHERE id = ?", (repo_id,))
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
            f"SELECT * FROM assets WHERE release_id IN ({marks}) ORDER BY id",  # noqa: S608 - only "?" placeholders  # nosec B608
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
