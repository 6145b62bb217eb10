"""Recording an upload: its connector events stored once each, and the incidents they make.

What is stored of each event, and how one record is known again in another
export, is bot.history.event_rows.
"""

from __future__ import annotations

import json
import string
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.history import spans
from bot.history.event_rows import event_rows
from bot.history.opener import HistoryError
from bot.history.queries import SERVER_IDS, Queries, named
from bot.history.values import (
    IncidentChange,
    IngestResult,
    SelfHealing,
    UploadInfo,
    iso,
    now_utc,
)

if TYPE_CHECKING:  # only its attributes are read: no import cost, no import cycle
    from bot.classify import ConnectorEvent

UPLOAD_WAIT = 120.0  # seconds an upload waits for another one (1M events take ~20 s)
# Incidents one upload may open or extend: a damaged log with 100,000 codes opened 100,000.
# Past it the biggest kinds are tracked; the others' events are stored and counted.
MAX_INCIDENTS = 200


class AmbiguousServer(HistoryError):
    """A short server name that several known servers share: say which one."""


class Ingest(Queries):
    """The write path of one upload, in one transaction."""

    def record_upload(
        self,
        upload: UploadInfo,
        events: Iterable[ConnectorEvent],
        *,
        server: str | None = None,
    ) -> IngestResult:
        """Remember one file's connector events, in one transaction.

        - The same file (SHA-256) twice changes nothing: `already_recorded` is True.
        - A record already stored from another export is counted once.
        - Failures, and warnings the catalogue says how to fix, extend or open incidents
          (new, ongoing, recurred); warnings with nothing to fix are only counted.
        - `server` names the server of events that name no computer (CSV exports);
          without it such events raise NoServer, and nothing is recorded. A short
          name means the known server it is short for (`server_meant`).
        """
        uploaded_at = upload.uploaded_at or now_utc()
        if known := self._upload_id(upload.sha256):
            return self._already_recorded(known)
        if server:
            server = self.server_meant(server)
        # The slow Python work happens before the write lock is taken.
        rows, names, healing = event_rows(events, server)
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
            per_server: dict[str, list] = {}  # folded name -> [events, first, last]
            shown: dict[str, str] = {}  # folded name -> the name as first written
            for row in rows:
                folded, time = fold_name(row[0]), row[3]
                seen = per_server.setdefault(folded, [0, time, time])
                seen[0] += 1
                seen[1], seen[2] = min(seen[1], time), max(seen[2], time)
                shown.setdefault(folded, row[0])
            self.db["upload_servers"].insert_all(
                {"upload_id": upload_id, "server_id": server_ids[s], "events": n,
                 "first": first, "last": last}
                for s, (n, first, last) in per_server.items()
            )  # fmt: skip
            by_id = {v: shown[k] for k, v in server_ids.items()}
            changes, healed = [], []
            tracked = _biggest(failures, MAX_INCIDENTS)
            for (server_id, event_id, code, kind), times in tracked.items():
                name = names.get(event_id)
                if kind == "warning" and event_id in healing:
                    healed.append(SelfHealing(by_id[server_id], event_id, code, name, len(times)))
                    continue
                changes += self._track(server_id, event_id, code, kind, name, times, uploaded_at)
            if upload.channel:  # where this was learned: who may see it (see queries)
                self.conn.executemany(
                    "INSERT OR IGNORE INTO incident_channels VALUES (?, ?)",
                    ((c.incident.id, upload.channel) for c in changes),
                )
        return IngestResult(
            upload_id=upload_id,
            already_recorded=False,
            servers=tuple(shown.values()),
            events=len(rows) + too_old,
            new_events=new_events,
            incidents=tuple(sorted(changes, key=lambda c: (c.incident.server, c.incident.id))),
            too_old=too_old,
            self_healing=tuple(sorted(healed, key=lambda h: (h.server, -h.count, h.event_id))),
            untracked=len(failures) - len(tracked),
        )

    def server_meant(self, name: str) -> str:
        """The server a name someone gave for a log means: the known server of that name
        (any case), else the one known server it is the short name of, else the name.

        People say "NDES01" for NDES01.contoso.com, and `history NDES01` finds it; a
        record under "NDES01" would be a second server whose incidents never meet the
        first's. A short name of several known servers raises AmbiguousServer.
        """
        name = " ".join(name.split())
        if not name:
            return name
        sql = SERVER_IDS.replace("SELECT id", "SELECT name") + " ORDER BY name"
        known = [n for (n,) in self.conn.execute(sql, named(name))]
        exact = [n for n in known if fold_name(n) == fold_name(name)]
        if exact or len(known) < 2:
            return (exact or known or [name])[0]
        shown = ", ".join(known[:3]) + (f" and {len(known) - 3} more" if len(known) > 3 else "")
        raise AmbiguousServer(f"{name} could be {shown}: give the server's full name")

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
        row = {
            "sha256": upload.sha256,
            "file_name": upload.file_name,
            "size": upload.size,
            "format": upload.format,
            "source": upload.source,
            "user": upload.user,
            "channel": upload.channel,
            "thread_ts": upload.thread_ts,
            "file_id": upload.file_id,
            "uploaded_at": iso(uploaded_at),
            "records": upload.records,
            "connector_events": events,
            "new_events": 0,
            "problems": json.dumps([plain(p) for p in upload.problems], ensure_ascii=False),
        }
        return int(self.db["uploads"].insert(row).last_pk)

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
        return {name: self.db["logs"].lookup({"name": name}) for name in {row[1] for row in rows}}

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
                """SELECT id, first, last, count, resolved_at, previous_id FROM incidents
                   WHERE server_id = ? AND event_id = ? AND code IS ? AND kind = ?""",
                (server_id, event_id, code, kind),
            )
        ]
        touched = spans.fold(incidents, times)
        for span in touched:
            if span.id is None:
                span.id = (
                    self.db["incidents"]
                    .insert(
                        {
                            "server_id": server_id,
                            "event_id": event_id,
                            "code": code,
                            "kind": kind,
                            "name": name,
                            "first": iso(span.first),
                            "last": iso(span.last),
                            "count": span.count,
                            "status": "open",
                            "previous_id": span.previous_id,
                            "created_at": iso(now),
                        }  # fmt: skip
                    )
                    .last_pk
                )
            else:
                self.conn.execute(
                    """UPDATE incidents SET first = ?, last = ?, count = ?,
                           name = coalesce(name, ?)
                       WHERE id = ?""",
                    (iso(span.first), iso(span.last), span.count, name, span.id),
                )
        return [
            IncidentChange(change=span.change, added=span.added, incident=self.incident(span.id))
            for span in touched
            if span.id is not None
        ]


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def fold_name(name: str) -> str:
    """A server name as SQLite's NOCASE compares it (ASCII letters only), so that the
    names grouped here are exactly the ones the UNIQUE column treats as one."""
    return name.translate(_ASCII_LOWER)


def plain(problem: Any) -> Any:
    return problem.to_dict() if hasattr(problem, "to_dict") else problem


def _biggest(kinds: dict, limit: int) -> dict:
    """The `limit` kinds with the most events, in their first-seen order (incident IDs follow it)."""
    if len(kinds) <= limit:
        return kinds
    keep = set(sorted(kinds, key=lambda k: -len(kinds[k]))[:limit])
    return {k: v for k, v in kinds.items() if k in keep}
