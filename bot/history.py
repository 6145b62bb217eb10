"""The incident history: every log the bot reads, remembered per connector server.

One SQLite file (WAL mode, so the Slack workers and the CLI can share it) with
four main tables: `servers`, `uploads` (one row per file read: name, SHA-256,
who and where from, problems), `events` (every connector event, once, however
many exports contained it) and `incidents`; `upload_servers`, `logs` and `meta`
support them. No token or secret is ever stored.

An incident is one failure on one server: the same event ID and diagnostic
code (or HRESULT), from its first to its last occurrence. Warnings make
incidents too, of kind "warning", so "CRL about to expire" is remembered
without being mixed with failures. Success, info and retry events are stored
(for recounts and searches) but make no incident. The same failure starts a
new incident when it comes back after a quiet gap (24 h by default) or after
the incident was resolved ("reopened").

Incidents depend only on which events are stored, not on the order files
arrive in: an older export read after a newer one fills in the same spans.
(Resolutions are the exception: a failure older than a resolution joins the
resolved incident, a newer one reopens it.)

A record is the same record in two exports when its server, log channel,
record ID, time and event ID match. Text exports without record IDs (CSV)
are keyed by a hash of their fields instead; so the same record exported
once as .evtx and once as CSV is stored twice (their times differ in
precision anyway).

    history = open_history()                     # $INTUNE_BOT_DB or a per-user path
    result = history.record_upload(UploadInfo.from_file(path, "evtx"), events)
    history.recent("NDES01", 20502, "0x00000410")  # "3 times in 30 days"
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import string
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import monotonic, sleep
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

if TYPE_CHECKING:  # only its attributes are read: no import cost, no import cycle
    from bot.classify import ConnectorEvent

__all__ = [
    "History",
    "HistoryError",
    "Incident",
    "IncidentChange",
    "IngestResult",
    "Recent",
    "ServerInfo",
    "UploadInfo",
    "default_path",
    "open_history",
]

DEFAULT_GAP = timedelta(hours=24)
UPLOAD_WAIT = 120.0  # seconds an upload waits for another one (1M events take ~20 s)
SKIPPED_OUTCOMES = ("noise",)  # not connector events: never stored

# Each entry upgrades the schema by one version; user_version counts how many ran.
# Never edit a released entry: append a new one, so an old file upgrades step by step.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: the first release: failures only.
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE servers (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,  -- Windows names ignore case
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL
        )""",
        """CREATE TABLE uploads (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE,  -- the same file twice is recorded once
            file_name TEXT NOT NULL,
            size INTEGER NOT NULL,
            format TEXT NOT NULL,
            source TEXT NOT NULL,  -- "slack" or "cli"
            user TEXT,
            channel TEXT,
            thread_ts TEXT,
            file_id TEXT,
            uploaded_at TEXT NOT NULL,
            records INTEGER NOT NULL,  -- records read from the file
            connector_events INTEGER NOT NULL,
            new_events INTEGER NOT NULL,  -- events no earlier upload had
            problems TEXT NOT NULL DEFAULT '[]'  -- JSON list of {where, reason}
        )""",
        """CREATE TABLE upload_servers (
            upload_id INTEGER NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
            server_id INTEGER NOT NULL REFERENCES servers(id),
            events INTEGER NOT NULL,
            PRIMARY KEY (upload_id, server_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX upload_servers_server ON upload_servers(server_id, upload_id)",
        # Event log channels: a handful of long names, stored once (a third of the file).
        "CREATE TABLE logs (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            server_id INTEGER NOT NULL REFERENCES servers(id),
            upload_id INTEGER NOT NULL REFERENCES uploads(id),  -- the first upload with it
            log_id INTEGER NOT NULL REFERENCES logs(id),  -- channel, else provider
            record_key TEXT NOT NULL,  -- record ID, or a hash of the fields (CSV has none)
            time TEXT NOT NULL,
            event_id INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            code TEXT,
            device TEXT,
            user TEXT,
            ca TEXT,
            template TEXT
        )""",
        # Overlapping exports share records: this key makes each one count once.
        """CREATE UNIQUE INDEX events_record
            ON events(server_id, log_id, record_key, time, event_id)""",
        "CREATE INDEX events_failure ON events(server_id, event_id, code, time)",
        "CREATE INDEX events_time ON events(time)",  # prune
        """CREATE TABLE incidents (
            id INTEGER PRIMARY KEY,
            server_id INTEGER NOT NULL REFERENCES servers(id),
            event_id INTEGER NOT NULL,
            code TEXT,
            first TEXT NOT NULL,
            last TEXT NOT NULL,
            count INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
            resolved_by TEXT,
            resolved_at TEXT,
            note TEXT,
            channel TEXT,  -- the Slack thread it was discussed in
            thread_ts TEXT,
            previous_id INTEGER REFERENCES incidents(id) ON DELETE SET NULL,  -- reopened from
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX incidents_key ON incidents(server_id, event_id, code, first)",
        "CREATE INDEX incidents_server_last ON incidents(server_id, last)",
        "CREATE INDEX incidents_last ON incidents(last)",
        "CREATE INDEX incidents_event ON incidents(event_id, status, last)",
        "CREATE INDEX incidents_code ON incidents(code, status, last)",
    ),
    # 2: warnings make incidents of their own kind; incidents carry the catalogue name.
    (
        """ALTER TABLE incidents ADD COLUMN kind TEXT NOT NULL DEFAULT 'failure'
            CHECK (kind IN ('failure', 'warning'))""",
        "ALTER TABLE incidents ADD COLUMN name TEXT",  # the event's name in the catalogue
        "DROP INDEX incidents_key",
        "CREATE INDEX incidents_key ON incidents(server_id, event_id, code, kind, first)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class HistoryError(Exception):
    """The history store cannot be used; str(err) is one clear line for the user."""


# -- values in and out -------------------------------------------------------------------


@dataclass(frozen=True)
class UploadInfo:
    """One file the bot read, and who gave it. Never put a token in here."""

    file_name: str
    sha256: str
    size: int
    format: str  # evtx | xml | csv | txt
    source: str = "cli"  # "slack" or "cli"
    user: str | None = None  # Slack user ID, or the OS user for the CLI
    channel: str | None = None
    thread_ts: str | None = None
    file_id: str | None = None
    records: int = 0  # records read from the file (connector or not)
    problems: Sequence[Any] = ()  # what could not be read: Problem values or their dicts
    uploaded_at: datetime | None = None  # default: now

    @classmethod
    def from_file(cls, path: str | Path, format: str, **fields: Any) -> UploadInfo:
        """Hash and measure a file on disk; `fields` fills in the rest (source, user, ...)."""
        path = Path(path)
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        return cls(
            file_name=path.name,
            sha256=digest.hexdigest(),
            size=path.stat().st_size,
            format=format,
            **fields,
        )


@dataclass(frozen=True)
class Incident:
    id: int
    server: str
    event_id: int
    code: str | None
    kind: str  # failure | warning
    name: str | None  # the event's name in the catalogue, when it is known
    first: datetime
    last: datetime
    count: int
    status: str  # open | resolved
    resolved_by: str | None
    resolved_at: datetime | None
    note: str | None
    channel: str | None
    thread_ts: str | None
    previous_id: int | None  # the resolved incident this one reopened
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: times as ISO 8601 UTC, event ID as a string like the CLI contract."""
        data = asdict(self)
        data["event_id"] = str(self.event_id)
        for name in ("first", "last", "resolved_at", "created_at"):
            data[name] = _iso_out(data[name])
        return data


@dataclass(frozen=True)
class IncidentChange:
    """What one upload did to one incident."""

    change: str  # new | ongoing | reopened
    added: int  # events this upload added to it
    incident: Incident

    def to_dict(self) -> dict[str, Any]:
        return {"change": self.change, "added": self.added, **self.incident.to_dict()}


@dataclass(frozen=True)
class IngestResult:
    upload_id: int
    already_recorded: bool  # the same file (SHA-256) was recorded before: nothing changed
    servers: tuple[str, ...]
    events: int  # connector events in the file
    new_events: int  # events no earlier upload had
    incidents: tuple[IncidentChange, ...] = ()
    too_old: int = 0  # events older than what prune removed, not stored again

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["incidents"] = [c.to_dict() for c in self.incidents]
        data["servers"] = list(self.servers)
        return data


@dataclass(frozen=True)
class ServerInfo:
    name: str
    first_seen: datetime  # earliest event
    last_seen: datetime  # latest event
    open_incidents: int
    incidents: int
    last_upload: datetime | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("first_seen", "last_seen", "last_upload"):
            data[name] = _iso_out(data[name])
        return data


@dataclass(frozen=True)
class Recent:
    """The recent history of one failure on one server: "3 times in 30 days"."""

    server: str
    event_id: int
    code: str | None
    days: int
    incidents: int
    events: int
    last: datetime | None  # latest occurrence in the window
    last_resolution: Incident | None  # the latest resolved incident, with its note

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["event_id"] = str(self.event_id)
        data["last"] = _iso_out(self.last)
        data["last_resolution"] = self.last_resolution and self.last_resolution.to_dict()
        return data


# -- opening -----------------------------------------------------------------------------


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
    gap: timedelta = DEFAULT_GAP,
    busy_timeout: float = 5.0,
) -> History:
    """Open (creating or upgrading) the history file at `path`, default `default_path()`.

    - Raises HistoryError, touching nothing, when the file is not SQLite, was made
      by a newer release, or cannot be written.
    - `busy_timeout` is how long a query or a resolve waits for another process's write;
      an upload waits at least UPLOAD_WAIT, since another large upload may take that long.
    """
    path = Path(path).expanduser() if path is not None else default_path()
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
        conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    except sqlite3.Error as err:
        raise HistoryError(f"cannot open history database {path}: {err}") from None
    try:
        return History(Database(conn), gap=gap, name=str(path))
    except BaseException:
        conn.close()
        raise


class History:
    """Verbs over the history database; `Database(memory=True)` works for tests.

    One History per thread (as with any SQLite connection); processes share the file.
    """

    def __init__(self, db: Database, *, gap: timedelta = DEFAULT_GAP, name: str = "") -> None:
        self.db = db
        self.gap = gap
        self.name = name or "history database"
        # We run BEGIN IMMEDIATE / COMMIT ourselves: one transaction per upload.
        db.conn.isolation_level = None
        try:
            self._prepare()
        except sqlite3.DatabaseError as err:
            raise HistoryError(_describe(self.name, err)) from None

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def _prepare(self) -> None:
        # Reading the version first reads the header: a file that is not SQLite fails
        # here, before anything below could write to it.
        version = self._user_version()
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"{self.name} was written by a newer intune-triage (schema {version}, "
                f"this release knows up to {SCHEMA_VERSION}); upgrade intune-triage"
            )
        # Tables without a version: not ours. Read the version again after the tables,
        # since another process may have just created ours in a fresh file.
        if version == 0 and self._foreign_tables() and self._user_version() == 0:
            raise HistoryError(f"{self.name} is another application's SQLite database")
        self.conn.execute("PRAGMA foreign_keys = ON")
        if not self.db.memory:
            self._use_wal()
            # WAL is safe from corruption with NORMAL; a power cut may lose the last upload.
            self.conn.execute("PRAGMA synchronous = NORMAL")
        if version < SCHEMA_VERSION:
            self._migrate()

    def _use_wal(self) -> None:
        """Switch the file to WAL (it stays so): once, by whichever process gets there first.

        The switch needs the file to itself, and SQLite answers "locked" at once,
        without the busy timeout, while other processes are opening it too: retry.
        """
        (timeout_ms,) = self.conn.execute("PRAGMA busy_timeout").fetchone()
        deadline = monotonic() + max(timeout_ms, 1000) / 1000
        while True:
            try:
                (mode,) = self.conn.execute("PRAGMA journal_mode").fetchone()
                if str(mode).lower() != "wal":
                    self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or monotonic() > deadline:
                    raise
                sleep(0.02)

    def _user_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _foreign_tables(self) -> bool:
        return bool(self.conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone())

    def _migrate(self) -> None:
        with self._write():
            # Another process may have migrated while we waited for the write lock.
            version = self._user_version()
            for steps in MIGRATIONS[version:]:
                for sql in steps:
                    self.conn.execute(sql)
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

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
            raise HistoryError(_describe(self.name, err)) from None
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as err:
            # SQLite rolls back by itself on some errors (disk full): then there is none left.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(err, sqlite3.DatabaseError):
                raise HistoryError(_describe(self.name, err)) from err
            raise

    # -- recording ---------------------------------------------------------------------

    def record_upload(self, upload: UploadInfo, events: Iterable[ConnectorEvent]) -> IngestResult:
        """Remember one file's connector events, in one transaction.

        - The same file (SHA-256) twice changes nothing: `already_recorded` is True.
        - A record already stored from another export is counted once.
        - Failures and warnings extend, start or reopen incidents; the result says which.
        """
        uploaded_at = upload.uploaded_at or _now()
        if known := self._upload_id(upload.sha256):
            return self._already_recorded(known)
        # The slow Python work happens before the write lock is taken.
        rows, names = _event_rows(events)
        with self._write(wait=UPLOAD_WAIT):
            # Checked again under the lock: another process may have just recorded it.
            if known := self._upload_id(upload.sha256):
                return self._already_recorded(known)
            cutoff = self._meta("pruned_before")
            if cutoff:
                kept = [r for r in rows if r[3] >= cutoff]
                too_old, rows = len(rows) - len(kept), kept
            else:
                too_old = 0
            upload_id = self._insert_upload(upload, uploaded_at, len(rows))
            server_ids = self._ensure_servers(rows)
            log_ids = self._ensure_logs(rows)
            new_events, failures = self._insert_events(upload_id, server_ids, log_ids, rows)
            self.conn.execute(
                "UPDATE uploads SET new_events = ? WHERE id = ?", (new_events, upload_id)
            )
            per_server: dict[str, int] = defaultdict(int)  # folded name -> events
            shown: dict[str, str] = {}  # folded name -> the name as first written
            for row in rows:
                per_server[_fold(row[0])] += 1
                shown.setdefault(_fold(row[0]), row[0])
            self.conn.executemany(
                "INSERT INTO upload_servers (upload_id, server_id, events) VALUES (?, ?, ?)",
                [(upload_id, server_ids[s], n) for s, n in per_server.items()],
            )
            changes = []
            for (server_id, event_id, code, kind), times in failures.items():
                changes += self._track(
                    server_id,
                    event_id,
                    code,
                    kind,
                    names.get(event_id),
                    times,
                    uploaded_at,
                )
        return IngestResult(
            upload_id=upload_id,
            already_recorded=False,
            servers=tuple(shown.values()),
            events=len(rows) + too_old,
            new_events=new_events,
            incidents=tuple(sorted(changes, key=lambda c: (c.incident.server, c.incident.id))),
            too_old=too_old,
        )

    def _upload_id(self, sha256: str) -> int | None:
        row = self.conn.execute("SELECT id FROM uploads WHERE sha256 = ?", (sha256,)).fetchone()
        return row[0] if row else None

    def _already_recorded(self, upload_id: int) -> IngestResult:
        row = self.conn.execute(
            "SELECT connector_events FROM uploads WHERE id = ?", (upload_id,)
        ).fetchone()
        servers = self.conn.execute(
            """SELECT s.name FROM upload_servers us JOIN servers s ON s.id = us.server_id
               WHERE us.upload_id = ? ORDER BY s.name""",
            (upload_id,),
        ).fetchall()
        return IngestResult(
            upload_id=upload_id,
            already_recorded=True,
            servers=tuple(name for (name,) in servers),
            events=row[0],
            new_events=0,
        )

    def _insert_upload(self, upload: UploadInfo, uploaded_at: datetime, events: int) -> int:
        cursor = self.conn.execute(
            """INSERT INTO uploads (sha256, file_name, size, format, source, user, channel,
                   thread_ts, file_id, uploaded_at, records, connector_events, new_events,
                   problems)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)""",
            (
                upload.sha256,
                upload.file_name,
                upload.size,
                upload.format,
                upload.source,
                upload.user,
                upload.channel,
                upload.thread_ts,
                upload.file_id,
                _iso(uploaded_at),
                upload.records,
                events,
                json.dumps([_plain(p) for p in upload.problems], ensure_ascii=False),
            ),
        )
        return int(cursor.lastrowid or 0)

    def _ensure_servers(self, rows: list[tuple[Any, ...]]) -> dict[str, int]:
        """Server name (folded) -> id, creating servers and widening their seen range."""
        spans: dict[str, tuple[str, str, str]] = {}
        for row in rows:
            name, time = row[0], row[3]
            folded = _fold(name)
            if folded in spans:
                shown, first, last = spans[folded]
                spans[folded] = (shown, min(first, time), max(last, time))
            else:
                spans[folded] = (name, time, time)
        ids = {}
        for folded, (name, first, last) in spans.items():
            self.conn.execute(
                """INSERT INTO servers (name, first_seen, last_seen) VALUES (?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET
                     first_seen = min(first_seen, excluded.first_seen),
                     last_seen = max(last_seen, excluded.last_seen)""",
                (name, first, last),
            )
            ids[folded] = self.conn.execute(
                "SELECT id FROM servers WHERE name = ?", (name,)
            ).fetchone()[0]
        return ids

    def _ensure_logs(self, rows: list[tuple[Any, ...]]) -> dict[str, int]:
        """Event log channel name -> id."""
        ids = {}
        for name in {row[1] for row in rows}:
            self.conn.execute("INSERT OR IGNORE INTO logs (name) VALUES (?)", (name,))
            ids[name] = self.conn.execute("SELECT id FROM logs WHERE name = ?", (name,)).fetchone()[
                0
            ]
        return ids

    def _insert_events(
        self,
        upload_id: int,
        server_ids: dict[str, int],
        log_ids: dict[str, int],
        rows: list[tuple[Any, ...]],
    ) -> tuple[int, dict[tuple[int, int, str | None, str], list[datetime]]]:
        """Insert what is not stored yet; return how many were new, and the new failures.

        The failures are keyed by (server ID, event ID, code, kind), with their times.
        """
        (last_id,) = self.conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()
        before = self.conn.total_changes
        self.conn.executemany(
            """INSERT OR IGNORE INTO events (server_id, upload_id, log_id, record_key, time,
                   event_id, outcome, code, device, user, ca, template)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            ((server_ids[_fold(r[0])], upload_id, log_ids[r[1]], *r[2:]) for r in rows),
        )
        # New rows get ids above the old maximum (we hold the write lock), and records
        # already stored were ignored: so these are exactly the failures new to the store.
        failures: dict[tuple[int, int, str | None, str], list[datetime]] = defaultdict(list)
        for server_id, event_id, code, kind, time in self.conn.execute(
            """SELECT server_id, event_id, code, outcome, time FROM events
               WHERE id > ? AND outcome IN ('failure', 'warning')""",
            (last_id,),
        ):
            failures[(server_id, event_id, code, kind)].append(datetime.fromisoformat(time))
        return self.conn.total_changes - before, failures

    def _meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # -- incidents ---------------------------------------------------------------------

    def _track(
        self,
        server_id: int,
        event_id: int,
        code: str | None,
        kind: str,
        name: str | None,
        times: list[datetime],
        now: datetime,
    ) -> list[IncidentChange]:
        """Fold new occurrences of one failure into its incidents; return what changed.

        Each occurrence joins the earliest incident within `gap` of it that was not
        resolved before it happened; if it then bridges the gap to the next incident,
        the two become one. Otherwise it starts an incident, "reopened" when the one
        before it was resolved. So spans come out the same whatever order files arrive in.
        """
        incidents = [
            _Span.from_row(row)
            for row in self.conn.execute(
                """SELECT id, first, last, count, status, resolved_at, previous_id
                   FROM incidents
                   WHERE server_id = ? AND event_id = ? AND code IS ? AND kind = ?
                   ORDER BY first""",
                (server_id, event_id, code, kind),
            )
        ]
        touched: dict[int, _Span] = {}  # id(span) -> span
        merged_away: list[tuple[_Span, _Span]] = []  # (gone, into)
        home: _Span | None = None
        nxt: _Span | None = None  # the incident after home: only changes when home does
        for t in sorted(times):
            # Times come in order, so while the last home still accepts, it is still the
            # earliest that does: the full search runs once per incident, not per event.
            if home is None or not home.accepts(t, self.gap):
                home = next((s for s in incidents if s.accepts(t, self.gap)), None)
                if home is None:
                    home = _Span.start(t, incidents)
                    incidents.append(home)
                nxt = _following(incidents, home)
            if t < home.first:
                home.first = t
                incidents.sort(key=lambda s: s.first)
            home.last = max(home.last, t)
            home.count += 1
            home.added += 1
            touched[id(home)] = home
            # Filling a gap can join this incident to the next one.
            if nxt and home.absorbs(nxt, self.gap):
                home.merge(nxt)
                incidents.remove(nxt)
                touched.pop(id(nxt), None)
                merged_away.append((nxt, home))
                nxt = _following(incidents, home)

        # Write back: new spans get a row, merged ones are folded into their survivor.
        for span in touched.values():
            if span.id is None:
                cursor = self.conn.execute(
                    """INSERT INTO incidents (server_id, event_id, code, kind, name, first,
                           last, count, status, previous_id, created_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)""",
                    (
                        server_id,
                        event_id,
                        code,
                        kind,
                        name,
                        _iso(span.first),
                        _iso(span.last),
                        span.count,
                        span.previous_id,
                        _iso(now),
                    ),
                )
                span.id = cursor.lastrowid
        for gone, into in merged_away:
            if gone.id is None:
                continue
            survivor = into
            while survivor.merged_into is not None:  # chains of merges in one upload
                survivor = survivor.merged_into
            assert survivor.id is not None
            self._fold(gone.id, survivor.id)
        for span in touched.values():
            self.conn.execute(
                """UPDATE incidents SET first = ?, last = ?, count = ?, status = ?,
                       resolved_at = ?, name = coalesce(name, ?)
                   WHERE id = ?""",
                (
                    _iso(span.first),
                    _iso(span.last),
                    span.count,
                    span.status,
                    _iso_or_none(span.resolved_at),
                    name,
                    span.id,
                ),
            )
        return [
            IncidentChange(change=span.change, added=span.added, incident=self.incident(span.id))
            for span in touched.values()
            if span.id is not None
        ]

    def _fold(self, gone_id: int, into_id: int) -> None:
        """Delete a merged incident, keeping its Slack thread and note if the survivor has none."""
        self.conn.execute(
            """UPDATE incidents SET
                 channel = coalesce(channel, (SELECT channel FROM incidents WHERE id = :gone)),
                 thread_ts = coalesce(thread_ts,
                                      (SELECT thread_ts FROM incidents WHERE id = :gone)),
                 resolved_by = coalesce(resolved_by,
                                        (SELECT resolved_by FROM incidents WHERE id = :gone)),
                 note = coalesce(note, (SELECT note FROM incidents WHERE id = :gone))
               WHERE id = :into""",
            {"gone": gone_id, "into": into_id},
        )
        self.conn.execute(
            "UPDATE incidents SET previous_id = ? WHERE previous_id = ?", (into_id, gone_id)
        )
        self.conn.execute("DELETE FROM incidents WHERE id = ?", (gone_id,))

    # -- people ------------------------------------------------------------------------

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
        incident has none yet. The next occurrence after `at` starts a reopened incident.
        """
        with self._write():
            self._require(incident_id)
            changed = self.conn.execute(
                """UPDATE incidents SET status = 'resolved', resolved_by = ?, resolved_at = ?,
                       note = ?
                   WHERE id = ? AND status = 'open'""",
                (by, _iso(at or _now()), note, incident_id),
            ).rowcount
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

    def _require(self, incident_id: int) -> None:
        if not self.conn.execute("SELECT 1 FROM incidents WHERE id = ?", (incident_id,)).fetchone():
            raise HistoryError(f"no incident {incident_id} in {self.name}")

    def prune(self, older_than: timedelta, *, now: datetime | None = None) -> int:
        """Delete events older than `older_than`; incidents and uploads stay. Returns the count.

        Later uploads skip events from before the cutoff, so an old export read again
        cannot count them a second time.
        """
        cutoff = _iso((now or _now()) - older_than)
        with self._write():
            deleted = self.conn.execute("DELETE FROM events WHERE time < ?", (cutoff,)).rowcount
            self.conn.execute(
                """INSERT INTO meta (key, value) VALUES ('pruned_before', ?)
                   ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)""",
                (cutoff,),
            )
        return deleted

    # -- questions the bot asks --------------------------------------------------------

    def servers(self) -> list[ServerInfo]:
        """Every connector server, most recently seen first, with its open incidents."""
        rows = self.conn.execute(
            """SELECT s.name, s.first_seen, s.last_seen,
                 (SELECT count(*) FROM incidents i
                   WHERE i.server_id = s.id AND i.status = 'open'),
                 (SELECT count(*) FROM incidents i WHERE i.server_id = s.id),
                 (SELECT max(u.uploaded_at) FROM upload_servers us
                   JOIN uploads u ON u.id = us.upload_id WHERE us.server_id = s.id)
               FROM servers s ORDER BY s.last_seen DESC"""
        )
        return [
            ServerInfo(
                name=name,
                first_seen=_dt(first),
                last_seen=_dt(last),
                open_incidents=open_,
                incidents=total,
                last_upload=_dt_or_none(upload),
            )
            for name, first, last, open_, total, upload in rows
        ]

    def incidents(
        self,
        server: str | None = None,
        status: str | None = None,
        event_id: int | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[Incident]:
        """Incidents, latest occurrence first.

        - `server` matches the name or its short form ("NDES01" finds "NDES01.contoso.com").
        - `since` keeps incidents whose last occurrence is at or after it.
        """
        where, params = [], []
        if server is not None:
            where.append(f"i.server_id IN ({_SERVER_IDS})")
            params += _named(server)
        if status is not None:
            where.append("i.status = ?")
            params.append(status)
        if event_id is not None:
            where.append("i.event_id = ?")
            params.append(event_id)
        if since is not None:
            where.append("i.last >= ?")
            params.append(_iso(since))
        sql = _INCIDENTS + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY i.last DESC, i.id DESC LIMIT ?"
        return [_incident(row) for row in self.conn.execute(sql, [*params, limit])]

    def incident(self, incident_id: int) -> Incident:
        row = self.conn.execute(_INCIDENTS + " WHERE i.id = ?", (incident_id,)).fetchone()
        if row is None:
            raise HistoryError(f"no incident {incident_id} in {self.name}")
        return _incident(row)

    def activity(self, since: datetime, limit: int = 500) -> list[Incident]:
        """Incidents recorded or resolved at or after `since`, and every one still open.

        What a daily digest needs (new, ongoing, resolved), latest occurrence first.
        """
        sql = _INCIDENTS + """ WHERE i.created_at >= :since OR i.resolved_at >= :since
                                  OR i.status = 'open'
                               ORDER BY i.last DESC, i.id DESC LIMIT :limit"""
        rows = self.conn.execute(sql, {"since": _iso(since), "limit": limit})
        return [_incident(row) for row in rows]

    def similar(
        self,
        event_id: int | None = None,
        code: str | None = None,
        exclude_server: str | None = None,
        limit: int = 10,
    ) -> list[Incident]:
        """The same event ID or code on any server: resolved ones (with notes) first."""
        if event_id is None and code is None:
            return []
        match, params = [], []
        if event_id is not None:
            match.append("i.event_id = ?")
            params.append(event_id)
        if code is not None:
            match.append("i.code = ?")
            params.append(code)
        sql = _INCIDENTS + " WHERE (" + " OR ".join(match) + ")"
        if exclude_server is not None:
            sql += f" AND i.server_id NOT IN ({_SERVER_IDS})"
            params += _named(exclude_server)
        sql += """ ORDER BY i.status = 'resolved' DESC, i.note IS NOT NULL DESC,
                   i.last DESC LIMIT ?"""
        return [_incident(row) for row in self.conn.execute(sql, [*params, limit])]

    def incidents_in_thread(self, channel: str, thread_ts: str, limit: int = 20) -> list[Incident]:
        """The incidents discussed in one Slack thread (set_thread / resolve), latest first."""
        sql = (
            _INCIDENTS
            + """ WHERE i.channel = ? AND i.thread_ts = ?
                               ORDER BY i.last DESC, i.id DESC LIMIT ?"""
        )
        return [_incident(row) for row in self.conn.execute(sql, (channel, thread_ts, limit))]

    def last_uploads(self) -> dict[str, dict[str, Any]]:
        """The latest upload per server: {server: {file_name, uploaded_at, user, source}}."""
        rows = self.conn.execute(
            """SELECT s.name, u.file_name, u.uploaded_at, u.user, u.source
               FROM servers s JOIN uploads u ON u.id = (
                 SELECT us.upload_id FROM upload_servers us JOIN uploads v ON v.id = us.upload_id
                 WHERE us.server_id = s.id ORDER BY v.uploaded_at DESC, v.id DESC LIMIT 1)"""
        )
        return {
            name: {"file_name": file, "uploaded_at": _iso_out(_dt(at)), "user": user, "source": src}
            for name, file, at, user, src in rows
        }

    def recent(
        self,
        server: str,
        event_id: int,
        code: str | None,
        days: int = 30,
        *,
        now: datetime | None = None,
    ) -> Recent:
        """How often one failure hit one server in the last `days`, and how it was fixed last."""
        since = _iso((now or _now()) - timedelta(days=days))
        incidents, last = self.conn.execute(
            f"""SELECT count(*), max(last) FROM incidents
                WHERE server_id IN ({_SERVER_IDS}) AND event_id = ? AND code IS ?
                  AND last >= ?""",
            (*_named(server), event_id, code, since),
        ).fetchone()
        (events,) = self.conn.execute(
            f"""SELECT count(*) FROM events
                WHERE server_id IN ({_SERVER_IDS}) AND event_id = ? AND code IS ?
                  AND time >= ?""",
            (*_named(server), event_id, code, since),
        ).fetchone()
        resolved = self.conn.execute(
            _INCIDENTS
            + f""" WHERE i.server_id IN ({_SERVER_IDS}) AND i.event_id = ? AND i.code IS ?
                   AND i.status = 'resolved' ORDER BY i.resolved_at DESC LIMIT 1""",
            (*_named(server), event_id, code),
        ).fetchone()
        return Recent(
            server=server,
            event_id=event_id,
            code=code,
            days=days,
            incidents=incidents,
            events=events,
            last=_dt_or_none(last),
            last_resolution=_incident(resolved) if resolved else None,
        )


# -- helpers -----------------------------------------------------------------------------

# A server named exactly, or by its short name: "NDES01" finds "NDES01.contoso.com".
_SERVER_IDS = "SELECT id FROM servers WHERE name = ? OR name LIKE ? ESCAPE '\\'"


def _named(server: str) -> list[str]:
    """The parameters of _SERVER_IDS: the name, and its domain pattern with % and _ escaped."""
    escaped = server.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return [server, escaped + ".%"]


_INCIDENTS = """SELECT i.id, s.name, i.event_id, i.code, i.kind, i.name, i.first, i.last,
       i.count, i.status, i.resolved_by, i.resolved_at, i.note, i.channel, i.thread_ts,
       i.previous_id, i.created_at
     FROM incidents i JOIN servers s ON s.id = i.server_id"""


def _incident(row: Sequence[Any]) -> Incident:
    (id_, server, event_id, code, kind, name, first, last, count, status, by, at, note,
     channel, thread_ts, previous_id, created_at) = row  # fmt: skip
    return Incident(
        id=id_,
        server=server,
        event_id=event_id,
        code=code,
        kind=kind,
        name=name,
        first=_dt(first),
        last=_dt(last),
        count=count,
        status=status,
        resolved_by=by,
        resolved_at=_dt_or_none(at),
        note=note,
        channel=channel,
        thread_ts=thread_ts,
        previous_id=previous_id,
        created_at=_dt(created_at),
    )


@dataclass(eq=False)  # spans are compared by identity: `incidents.remove(span)`
class _Span:
    """An incident while an upload is folded in (in memory, times as datetimes)."""

    first: datetime
    last: datetime
    count: int
    change: str = "ongoing"
    id: int | None = None
    status: str = "open"
    resolved_at: datetime | None = None
    previous_id: int | None = None
    added: int = 0
    merged_into: _Span | None = None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> _Span:
        id_, first, last, count, status, resolved_at, previous_id = row
        return cls(
            id=id_,
            first=_dt(first),
            last=_dt(last),
            count=count,
            status=status,
            resolved_at=_dt_or_none(resolved_at),
            previous_id=previous_id,
        )

    @classmethod
    def start(cls, t: datetime, incidents: list[_Span]) -> _Span:
        """A new incident at t: "reopened" when the one before it was resolved before t."""
        before = [s for s in incidents if s.last < t]
        previous = max(before, key=lambda s: s.last) if before else None
        if previous and previous.resolved_at is not None and previous.resolved_at < t:
            return cls(first=t, last=t, count=0, change="reopened", previous_id=previous.id)
        return cls(first=t, last=t, count=0, change="new")

    def accepts(self, t: datetime, gap: timedelta) -> bool:
        """t belongs here: within the gap of the span, and not after it was resolved."""
        if not self.first - gap <= t <= self.last + gap:
            return False
        return self.resolved_at is None or t <= self.resolved_at

    def absorbs(self, later: _Span, gap: timedelta) -> bool:
        """A later incident is really part of this one (the gap between them was filled)."""
        if later.first - self.last > gap:
            return False
        # A resolution between them keeps them apart: the later one is a reopening.
        return self.resolved_at is None or later.last <= self.resolved_at

    def merge(self, later: _Span) -> None:
        self.first, self.last = min(self.first, later.first), max(self.last, later.last)
        self.count += later.count
        self.added += later.added
        if self.resolved_at is None and later.resolved_at is not None:
            # The failures before it are covered by the later resolution too.
            self.status, self.resolved_at = later.status, later.resolved_at
        if self.id is None and later.id is not None:
            # Keep the stored incident's number (and its row): it grew, it is not new.
            self.id, later.id = later.id, None
            self.change, self.previous_id = later.change, later.previous_id
        later.merged_into = self


def _following(incidents: list[_Span], span: _Span) -> _Span | None:
    """The incident after `span` in time (the list is kept in order of first occurrence)."""
    later = [s for s in incidents if s.first > span.first]
    return min(later, key=lambda s: s.first) if later else None


def _event_rows(events: Iterable[ConnectorEvent]) -> tuple[list[tuple[Any, ...]], dict[int, str]]:
    """Rows to store for `events`, server name first, and the catalogue name of each event ID.

    A row is (server, channel, record_key, time, event_id, outcome, code, device,
    user, ca, template): the events columns, with names for the server and channel.
    """
    rows = []
    names: dict[int, str] = {}
    twins: dict[tuple[str, str, str], int] = defaultdict(int)
    for ce in events:
        if ce.outcome in SKIPPED_OUTCOMES:
            continue
        e = ce.event
        if ce.entry is not None:
            names[e.event_id] = ce.entry.name
        channel = e.channel or e.provider
        time = _iso(e.time)
        if e.record_id is not None:
            key = str(e.record_id)
        else:
            # CSV and TXT exports have no record ID: identify the record by its fields,
            # numbering identical twins within the file so both are kept.
            digest = hashlib.blake2b(
                repr((e.provider, e.level, sorted(e.data.items()), e.message)).encode(),
                digest_size=8,
            ).hexdigest()
            twin = (e.computer, channel, time, digest)
            twins[twin] += 1
            key = f"h:{digest}:{twins[twin]}"
        rows.append(
            (
                e.computer,
                channel,
                key,
                time,
                e.event_id,
                ce.outcome,
                ce.code,
                ce.device_id,
                ce.user_id,
                ce.ca,
                ce.template,
            )
        )
    return rows, names


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _fold(name: str) -> str:
    """A server name as SQLite's NOCASE compares it (ASCII letters only), so that the
    names grouped here are exactly the ones the UNIQUE column treats as one."""
    return name.translate(_ASCII_LOWER)


def _plain(problem: Any) -> Any:
    return problem.to_dict() if hasattr(problem, "to_dict") else problem


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(t: datetime) -> str:
    """Fixed-width UTC text, so that text order is time order in SQL."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    # "2026-11-02T08:00:00.000000+00:00" -> "...000000Z"; isoformat is 5x faster than strftime.
    return t.astimezone(UTC).isoformat(timespec="microseconds")[:26] + "Z"


def _iso_or_none(t: datetime | None) -> str | None:
    return None if t is None else _iso(t)


def _iso_out(t: datetime | None) -> str | None:
    """ISO 8601 UTC for JSON, without microseconds when there are none."""
    if t is None:
        return None
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _dt_or_none(text: str | None) -> datetime | None:
    return None if text is None else _dt(text)


def _describe(name: str, err: sqlite3.DatabaseError) -> str:
    """One line for the user from SQLite's error."""
    message = str(err)
    if "not a database" in message or "malformed" in message:
        return f"{name} is not a SQLite database (or is damaged)"
    if "readonly" in message or "read-only" in message:
        return f"{name} is read-only (the file and its folder must be writable)"
    if "locked" in message or "busy" in message:
        return f"{name} is busy: another process held it too long; try again"
    return f"{name}: {message}"
