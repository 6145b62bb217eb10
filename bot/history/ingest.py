"""Recording an upload: its connector events stored once each, and the incidents they make.

A record is the same record in two exports when its server, log channel,
record ID, time and event ID match. Text exports without record IDs (CSV)
are keyed by a hash of their fields instead; so the same record exported
once as .evtx and once as CSV is stored twice (their times differ in
precision anyway).
"""

from __future__ import annotations

import hashlib
import json
import string
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.history import spans
from bot.history.queries import Queries
from bot.history.values import IncidentChange, IngestResult, UploadInfo, iso, iso_or_none, now_utc

if TYPE_CHECKING:  # only its attributes are read: no import cost, no import cycle
    from bot.classify import ConnectorEvent

UPLOAD_WAIT = 120.0  # seconds an upload waits for another one (1M events take ~20 s)
SKIPPED_OUTCOMES = ("noise",)  # not connector events: never stored


class Ingest(Queries):
    """The write path of one upload, in one transaction."""

    def record_upload(self, upload: UploadInfo, events: Iterable[ConnectorEvent]) -> IngestResult:
        """Remember one file's connector events, in one transaction.

        - The same file (SHA-256) twice changes nothing: `already_recorded` is True.
        - A record already stored from another export is counted once.
        - Failures and warnings extend, start or reopen incidents; the result says which.
        """
        uploaded_at = upload.uploaded_at or now_utc()
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
                per_server[fold_name(row[0])] += 1
                shown.setdefault(fold_name(row[0]), row[0])
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
                iso(uploaded_at),
                upload.records,
                events,
                json.dumps([plain(p) for p in upload.problems], ensure_ascii=False),
            ),
        )
        return int(cursor.lastrowid or 0)

    def _ensure_servers(self, rows: list[tuple[Any, ...]]) -> dict[str, int]:
        """Server name (folded) -> id, creating servers and widening their seen range."""
        spans: dict[str, tuple[str, str, str]] = {}
        for row in rows:
            name, time = row[0], row[3]
            folded = fold_name(name)
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
            ((server_ids[fold_name(r[0])], upload_id, log_ids[r[1]], *r[2:]) for r in rows),
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
        """Fold new occurrences of one failure into its incidents; return what changed."""
        incidents = [
            spans.Span.from_row(row)
            for row in self.conn.execute(
                """SELECT id, first, last, count, status, resolved_at, previous_id
                   FROM incidents
                   WHERE server_id = ? AND event_id = ? AND code IS ? AND kind = ?
                   ORDER BY first""",
                (server_id, event_id, code, kind),
            )
        ]
        touched, merged_away = spans.fold(incidents, times, self.gap)

        # Write back: new spans get a row, merged ones are folded into their survivor.
        for span in touched:
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
                        iso(span.first),
                        iso(span.last),
                        span.count,
                        span.previous_id,
                        iso(now),
                    ),
                )
                span.id = cursor.lastrowid
        for gone, into in merged_away:
            if gone.id is None:
                continue
            kept = spans.survivor(into)
            assert kept.id is not None
            self._merge_rows(gone.id, kept.id)
        for span in touched:
            self.conn.execute(
                """UPDATE incidents SET first = ?, last = ?, count = ?, status = ?,
                       resolved_at = ?, name = coalesce(name, ?)
                   WHERE id = ?""",
                (
                    iso(span.first),
                    iso(span.last),
                    span.count,
                    span.status,
                    iso_or_none(span.resolved_at),
                    name,
                    span.id,
                ),
            )
        return [
            IncidentChange(change=span.change, added=span.added, incident=self.incident(span.id))
            for span in touched
            if span.id is not None
        ]

    def _merge_rows(self, gone_id: int, into_id: int) -> None:
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
        time = iso(e.time)
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


def fold_name(name: str) -> str:
    """A server name as SQLite's NOCASE compares it (ASCII letters only), so that the
    names grouped here are exactly the ones the UNIQUE column treats as one."""
    return name.translate(_ASCII_LOWER)


def plain(problem: Any) -> Any:
    return problem.to_dict() if hasattr(problem, "to_dict") else problem
