"""The history's tables, and the migrations that bring an older file up to date.

`PRAGMA user_version` counts the migrations a file has had; `upgrade` runs the
rest, inside the caller's write transaction. The tables are written as SQL text,
not generated: a released migration must mean the same thing forever.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from bot.history.regroup import merge_split_incidents


def _upload_spans(conn: sqlite3.Connection) -> None:
    """Schema 4: each upload's first and last event per server, from the stored events.

    One pass over the events (they have no index by upload), not one query per row.
    Events stored by an earlier upload count for that one only: the span is a lower bound.
    """
    spans = conn.execute(
        """SELECT min(time), max(time), upload_id, server_id FROM events
           GROUP BY upload_id, server_id"""
    ).fetchall()
    conn.executemany(
        "UPDATE upload_servers SET first = ?, last = ? WHERE upload_id = ? AND server_id = ?",
        spans,
    )


# Each entry upgrades the schema by one version; user_version counts how many ran.
# Never edit a released entry: append a new one, so an old file upgrades step by step.
# A step is SQL, or a function of the connection for what SQL alone cannot say.
Step = str | Callable[[sqlite3.Connection], None]
MIGRATIONS: tuple[tuple[Step, ...], ...] = (
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
    # 3: one incident per failure kind until resolved. Every resolution is kept in its
    # own table (an incident merged from several has several); the incidents an older
    # release split at quiet gaps are merged.
    (
        """CREATE TABLE resolutions (
            id INTEGER PRIMARY KEY,
            incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
            resolved_by TEXT,
            resolved_at TEXT NOT NULL,
            note TEXT
        )""",
        "CREATE INDEX resolutions_incident ON resolutions(incident_id, resolved_at)",
        """INSERT INTO resolutions (incident_id, resolved_by, resolved_at, note)
           SELECT id, resolved_by, resolved_at, note FROM incidents
           WHERE status = 'resolved' ORDER BY resolved_at""",
        merge_split_incidents,
    ),
    # 4: where the history learned each thing, so Slack shows it only to the members of
    # the channel its log was shared in. An incident remembers every channel whose logs
    # added to it; an upload's servers remember the time span that log showed of them.
    # Older files: channels come from the uploads their stored events came from, and
    # from the thread an incident was discussed in; CLI uploads have none (see queries).
    (
        """CREATE TABLE incident_channels (
            incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
            channel TEXT NOT NULL,  -- a Slack channel ID (C…, G…, D…)
            PRIMARY KEY (incident_id, channel)
        ) WITHOUT ROWID""",
        "CREATE INDEX incident_channels_channel ON incident_channels(channel, incident_id)",
        """INSERT OR IGNORE INTO incident_channels (incident_id, channel)
           SELECT DISTINCT i.id, u.channel FROM incidents i
           JOIN events e ON e.server_id = i.server_id AND e.event_id = i.event_id
             AND e.code IS i.code AND e.outcome = i.kind AND e.time BETWEEN i.first AND i.last
           JOIN uploads u ON u.id = e.upload_id
           WHERE u.channel IS NOT NULL AND u.channel != ''""",
        """INSERT OR IGNORE INTO incident_channels (incident_id, channel)
           SELECT id, channel FROM incidents WHERE channel IS NOT NULL AND channel != ''""",
        "CREATE INDEX uploads_channel ON uploads(channel)",
        "ALTER TABLE upload_servers ADD COLUMN first TEXT",  # NULL: its events were pruned
        "ALTER TABLE upload_servers ADD COLUMN last TEXT",
        _upload_spans,
    ),
    # 5: a resolution remembers the channel it was made in: its note and who wrote it
    # are shown only where that channel's history is (NULL, older ones: wherever the
    # incident is).
    ("ALTER TABLE resolutions ADD COLUMN channel TEXT",),
)
SCHEMA_VERSION = len(MIGRATIONS)


def version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def upgrade(conn: sqlite3.Connection) -> None:
    """Run the migrations the file has not had yet (call it holding the write lock)."""
    for steps in MIGRATIONS[version(conn) :]:
        for step in steps:
            if isinstance(step, str):
                conn.execute(step)
            else:
                step(conn)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
