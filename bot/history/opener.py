"""The one way this project opens a SQLite file: checked first, WAL mode, one-line errors.

The history, the Slack dedupe claims and the kept summaries all open their
files here, so each gets the same checks (a folder, a read-only file) and the
same retry while switching to WAL, which SQLite refuses with "locked" at once,
without the busy timeout, while another process is opening the file too.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from time import monotonic, sleep


class HistoryError(Exception):
    """The history store cannot be used; str(err) is one clear line for the user."""


def connect(
    path: str | Path, *, busy_timeout: float = 5.0, check_same_thread: bool = True
) -> sqlite3.Connection:
    """A connection to the file at `path` (created with its folder), in autocommit mode.

    Raises HistoryError, touching nothing, when the path is a folder, the file or its
    folder cannot be written, or SQLite cannot open it. `check_same_thread=False` for
    a connection its owner guards with a lock across threads.
    """
    path = Path(path)
    if path.exists():
        if path.is_dir():
            raise HistoryError(f"history database {path} is a folder, not a file")
        # Checked before SQLite opens it: SQLite would only fail at the first write.
        if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
            raise HistoryError(
                f"history database {path} is read-only (the file and its folder must be writable)"
            )
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise HistoryError(f"cannot create {path.parent}: {err.strerror}") from None
    try:
        return sqlite3.connect(path, timeout=busy_timeout, isolation_level=None,
                               check_same_thread=check_same_thread)  # fmt: skip
    except sqlite3.Error as err:
        raise HistoryError(f"cannot open history database {path}: {err}") from None


def connect_readonly(path: str | Path, *, busy_timeout: float = 5.0) -> sqlite3.Connection:
    """A connection that can only read the existing file at `path` (it must exist).

    Reading needs no write access to the file: a history copied from a server, or
    left read-only by an operator, still answers `history` and `servers`.
    """
    path = Path(path)
    if path.is_dir():
        raise HistoryError(f"history database {path} is a folder, not a file")
    uri = path.resolve().as_uri()
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=busy_timeout, isolation_level=None)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        return conn
    except sqlite3.DatabaseError as err:
        if "unable to open" not in str(err) and "readonly" not in str(err):
            raise HistoryError(describe(str(path), err)) from None
    # A WAL file in a folder we cannot write: SQLite cannot make its shared-memory
    # file ("unable to open", or "readonly" when it tries). Nobody can write
    # there either, so reading it as immutable is safe.
    try:
        conn = sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        return conn
    except sqlite3.DatabaseError as err:
        raise HistoryError(describe(str(path), err)) from None


def use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL (it stays so): once, by whichever process gets there first.

    The switch needs the file to itself, and SQLite answers "locked" at once,
    without the busy timeout, while other processes are opening it too: retry.
    """
    (timeout_ms,) = conn.execute("PRAGMA busy_timeout").fetchone()
    deadline = monotonic() + max(timeout_ms, 1000) / 1000
    while True:
        try:
            (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or monotonic() > deadline:
                raise
            sleep(0.02)


def describe(name: str, err: sqlite3.DatabaseError) -> str:
    """One line for the user from SQLite's error."""
    message = str(err)
    if "not a database" in message or "malformed" in message:
        return f"{name} is not a SQLite database (or is damaged)"
    if "unable to open" in message:
        return f"cannot open {name} (check that it exists and can be read)"
    if "readonly" in message or "read-only" in message:
        return f"{name} is read-only (the file and its folder must be writable)"
    if "locked" in message or "busy" in message:
        return f"{name} is busy: another process held it too long; try again"
    return f"{name}: {message}"
