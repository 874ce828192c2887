"""sqlite3 plumbing of the GitHub stand-in's store: one locked connection, transactions.

The HTTP server is threaded and sqlite3 is not: every access goes through one connection
guarded by a re-entrant lock. :class:`Database` is the base of the stores (``_store``,
``_release_store``); :class:`Conflict` reports a broken uniqueness rule.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["Conflict", "Database", "Row", "iso", "now_iso"]

Row = dict[str, Any]


class Conflict(Exception):
    """A uniqueness rule was violated (duplicate tag, duplicate asset name)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    return iso(dt.datetime.now(dt.timezone.utc))


class Database:
    """A locked sqlite3 connection to ``root/github.db``, (re)opened on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None

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
