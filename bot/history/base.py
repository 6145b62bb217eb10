"""The connection under the history's verbs: schema checks on open, and write transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Self

from sqlite_utils import Database

from bot.history import schema
from bot.history.opener import HistoryError, describe, use_wal


class NeedsUpgrade(HistoryError):
    """A file from an older release, opened read-only: it cannot be upgraded so."""


class Store:
    """A history database, checked and upgraded; the verbs live in the classes over it."""

    def __init__(self, db: Database, *, name: str = "", readonly: bool = False) -> None:
        self.db = db
        self.name = name or "history database"
        self.readonly = readonly
        # We run BEGIN IMMEDIATE / COMMIT ourselves: one transaction per upload.
        db.conn.isolation_level = None
        try:
            self._prepare()
        except sqlite3.DatabaseError as err:
            raise HistoryError(describe(self.name, err)) from None

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def _prepare(self) -> None:
        # Reading the version first reads the header: a file that is not SQLite fails
        # here, before anything below could write to it.
        version = schema.version(self.conn)
        if version > schema.SCHEMA_VERSION:
            raise HistoryError(
                f"{self.name} was written by a newer intune-triage (schema {version}, "
                f"this release knows up to {schema.SCHEMA_VERSION}); upgrade intune-triage"
            )
        # Tables without a version: not ours. Read the version again after the tables,
        # since another process may have just created ours in a fresh file.
        if version == 0 and self._foreign_tables() and schema.version(self.conn) == 0:
            raise HistoryError(f"{self.name} is another application's SQLite database")
        if self.readonly and version == 0:
            # An empty file: nothing recorded yet. Read it as an empty history.
            self.db.conn.close()
            self.db, self.readonly = Database(memory=True), False
            self._prepare()
            return
        if self.readonly:
            if version < schema.SCHEMA_VERSION:
                raise NeedsUpgrade(
                    f"{self.name} was written by an older intune-triage and is opened "
                    "read-only: open it once with write access (any `summarize --record`) "
                    "to upgrade it"
                )
            return
        self.conn.execute("PRAGMA foreign_keys = ON")
        if not self.db.memory:
            use_wal(self.conn)
            # WAL is safe from corruption with NORMAL; a power cut may lose the last upload.
            self.conn.execute("PRAGMA synchronous = NORMAL")
        if version < schema.SCHEMA_VERSION:
            # Another process may have migrated while we waited for the write lock:
            # upgrade reads the version again under it.
            with self._write():
                schema.upgrade(self.conn)

    def _foreign_tables(self) -> bool:
        return bool(self.conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone())

    @contextmanager
    def _write(self, wait: float | None = None) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front so two writers queue instead of deadlocking.

        `wait` (seconds) overrides the busy timeout while waiting for the lock.
        """
        try:
            if wait is None:
                self.conn.execute("BEGIN IMMEDIATE")
            else:
                (usual,) = self.conn.execute("PRAGMA busy_timeout").fetchone()
                self.conn.execute(f"PRAGMA busy_timeout = {max(usual, int(wait * 1000))}")
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                finally:
                    self.conn.execute(f"PRAGMA busy_timeout = {usual}")
        except sqlite3.DatabaseError as err:
            raise HistoryError(describe(self.name, err)) from None
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as err:
            # SQLite rolls back by itself on some errors (disk full): then there is none left.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(err, sqlite3.DatabaseError):
                raise HistoryError(describe(self.name, err)) from err
            raise

    def _meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _require(self, incident_id: int) -> None:
        if not self.conn.execute("SELECT 1 FROM incidents WHERE id = ?", (incident_id,)).fetchone():
            raise HistoryError(f"no incident {incident_id} in {self.name}")
