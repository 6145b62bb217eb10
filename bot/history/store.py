"""The history store: `open_history()` and the `History` it returns, with every verb."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from bot.history.base import NeedsUpgrade
from bot.history.ingest import Ingest
from bot.history.opener import HistoryError, connect, connect_readonly
from bot.history.values import Incident, iso, now_utc


def default_path() -> Path:
    """The per-user history file: $INTUNE_BOT_DB, else the platform's data folder."""
    if os.environ.get("INTUNE_BOT_DB"):
        return Path(os.environ["INTUNE_BOT_DB"]).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "intune-triage" / "history.db"


def open_history(
    path: str | Path | None = None,
    *,
    busy_timeout: float = 5.0,
    readonly: bool = False,
) -> History:
    """Open (creating or upgrading) the history file at `path`, default `default_path()`.

    - Raises HistoryError, touching nothing, when the file is not SQLite, was made
      by a newer release, or cannot be written.
    - `busy_timeout` is how long a query or a resolve waits for another process's write;
      an upload waits at least UPLOAD_WAIT, since another large upload may take that long.
    - `readonly` opens for reading only: nothing is created or upgraded, a missing file
      reads as an empty history, and a file without write access can still be read.
    """
    path = Path(path).expanduser() if path is not None else default_path()
    if readonly and not path.exists():
        return History(Database(memory=True), name=str(path))
    if readonly:
        conn = connect_readonly(path, busy_timeout=busy_timeout)
        try:
            return History(Database(conn), name=str(path), readonly=True)
        except NeedsUpgrade:
            conn.close()
            if not os.access(path, os.W_OK):
                raise
            # A file the new release has not upgraded yet: upgrade it, as any writer would.
        except BaseException:
            conn.close()
            raise
    conn = connect(path, busy_timeout=busy_timeout)
    try:
        return History(Database(conn), name=str(path))
    except BaseException:
        conn.close()
        raise


class History(Ingest):
    """Verbs over the history database; `Database(memory=True)` works for tests.

    One History per thread (as with any SQLite connection); processes share the file.
    Reading: see Queries; recording an upload: see Ingest; people's verbs are here.
    """

    def resolve(
        self,
        incident_id: int,
        by: str,
        note: str,
        thread: tuple[str, str] | None = None,
        *,
        at: datetime | None = None,
    ) -> bool:
        """Mark an incident resolved; False (and nothing changed) if it already was.

        `thread` is the Slack (channel, thread_ts) where it was resolved, kept if the
        incident has none yet. The next occurrence after `at` opens a new incident,
        "recurred" from this one.
        """
        when = iso(at or now_utc())
        with self._write():
            self._require(incident_id)
            changed = self.conn.execute(
                """UPDATE incidents SET status = 'resolved', resolved_by = ?, resolved_at = ?,
                       note = ?
                   WHERE id = ? AND status = 'open'""",
                (by, when, note, incident_id),
            ).rowcount
            if changed:
                self.db["resolutions"].insert(
                    {
                        "incident_id": incident_id,
                        "resolved_by": by,
                        "resolved_at": when,
                        "note": note,
                        "channel": thread[0] if thread else None,
                    }  # fmt: skip
                )
            if thread:
                self._attach(incident_id, *thread)
        return bool(changed)

    def set_thread(self, incident_id: int, channel: str, thread_ts: str) -> None:
        """Remember the Slack thread where an incident is discussed (the latest one wins)."""
        with self._write():
            self._require(incident_id)
            self.conn.execute(
                "UPDATE incidents SET channel = ?, thread_ts = ? WHERE id = ?",
                (channel, thread_ts, incident_id),
            )

    def _attach(self, incident_id: int, channel: str, thread_ts: str) -> None:
        self.conn.execute(
            """UPDATE incidents SET channel = ?, thread_ts = ?
               WHERE id = ? AND thread_ts IS NULL""",
            (channel, thread_ts, incident_id),
        )

    def reassign(self, incident_id: int, server: str) -> Incident:
        """Move an incident of the unknown server to `server`, with its events.

        Older releases recorded CSV and TXT exports (no Computer column) under a
        nameless server. A short name means the known server it is short for. An open
        incident of the same failure already on `server` absorbs this one (events both
        had count once; resolutions and channels move).
        Returns the incident the failure now lives in.
        """
        server = " ".join(server.split())
        if not server:
            raise HistoryError("say which server: the name is empty")
        server = self.server_meant(server)
        with self._write():
            row = self.conn.execute(
                """SELECT i.server_id, s.name, i.event_id, i.code, i.kind, i.first, i.last,
                          i.status
                   FROM incidents i JOIN servers s ON s.id = i.server_id WHERE i.id = ?""",
                (incident_id,),
            ).fetchone()
            if row is None:
                raise HistoryError(f"no incident {incident_id} in {self.name}")
            nameless, name, event_id, code, kind, first, last, status = row
            if name.strip():
                raise HistoryError(
                    f"incident #{incident_id} is on {name}: only incidents of the unknown "
                    "server can be reassigned"
                )
            self.conn.execute(
                """INSERT INTO servers (name, first_seen, last_seen) VALUES (?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET first_seen = min(first_seen, ?),
                     last_seen = max(last_seen, ?)""",
                (server, first, last, first, last),
            )
            (target,) = self.conn.execute(
                "SELECT id FROM servers WHERE name = ?", (server,)
            ).fetchone()
            events = """server_id = ? AND event_id = ? AND code IS ? AND outcome = ?
                        AND time BETWEEN ? AND ?"""
            params = (nameless, event_id, code, kind, first, last)
            self.conn.execute(f"UPDATE OR IGNORE events SET server_id = ? WHERE {events}",
                              (target, *params))  # fmt: skip
            twice = self.conn.execute(f"DELETE FROM events WHERE {events}", params).rowcount
            into = None
            if status == "open":
                into = self.conn.execute(
                    """SELECT id FROM incidents WHERE server_id = ? AND event_id = ?
                       AND code IS ? AND kind = ? AND status = 'open' AND id != ?""",
                    (target, event_id, code, kind, incident_id),
                ).fetchone()
            if into is None:
                self.conn.execute(
                    "UPDATE incidents SET server_id = ?, count = count - ? WHERE id = ?",
                    (target, twice, incident_id),
                )
                return self.incident(incident_id)
            (into,) = into
            self.conn.execute(
                """UPDATE incidents SET first = min(first, ?), last = max(last, ?),
                     count = count + (SELECT count FROM incidents WHERE id = ?) - ?
                   WHERE id = ?""",
                (first, last, incident_id, twice, into),
            )
            for table in ("resolutions", "incident_channels"):
                if self.conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
                ).fetchone():
                    self.conn.execute(
                        f"UPDATE OR IGNORE {table} SET incident_id = ? WHERE incident_id = ?",
                        (into, incident_id),
                    )
            self.conn.execute(
                "UPDATE incidents SET previous_id = ? WHERE previous_id = ?", (into, incident_id)
            )
            self.conn.execute("DELETE FROM incidents WHERE id = ?", (incident_id,))
            return self.incident(into)

    def prune(self, older_than: timedelta, *, now: datetime | None = None) -> int:
        """Delete events older than `older_than`; incidents and uploads stay. Returns the count.

        Later uploads skip events from before the cutoff, so an old export read again
        cannot count them a second time.
        """
        cutoff = iso((now or now_utc()) - older_than)
        with self._write():
            deleted = self.conn.execute("DELETE FROM events WHERE time < ?", (cutoff,)).rowcount
            self.conn.execute(
                """INSERT INTO meta (key, value) VALUES ('pruned_before', ?)
                   ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)""",
                (cutoff,),
            )
        return deleted
