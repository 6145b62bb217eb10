"""The questions the bot asks the history: servers, incidents, similar ones, recent counts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.history.base import Store
from bot.history.opener import HistoryError
from bot.history.values import (
    Incident,
    Recent,
    Resolution,
    ServerInfo,
    dt,
    dt_or_none,
    iso,
    iso_out,
    now_utc,
)


class Queries(Store):
    """Read-only verbs: every one is a plain SELECT, safe while another process writes."""

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
                first_seen=dt(first),
                last_seen=dt(last),
                open_incidents=open_,
                incidents=total,
                last_upload=dt_or_none(upload),
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
            where.append(f"i.server_id IN ({SERVER_IDS})")
            params += named(server)
        if status is not None:
            where.append("i.status = ?")
            params.append(status)
        if event_id is not None:
            where.append("i.event_id = ?")
            params.append(event_id)
        if since is not None:
            where.append("i.last >= ?")
            params.append(iso(since))
        sql = INCIDENTS + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY i.last DESC, i.id DESC LIMIT ?"
        return [incident_from_row(row) for row in self.conn.execute(sql, [*params, limit])]

    def incident(self, incident_id: int) -> Incident:
        row = self.conn.execute(INCIDENTS + " WHERE i.id = ?", (incident_id,)).fetchone()
        if row is None:
            raise HistoryError(f"no incident {incident_id} in {self.name}")
        return incident_from_row(row)

    def activity(self, since: datetime, limit: int = 500) -> list[Incident]:
        """Incidents recorded or resolved at or after `since`, and every one still open.

        What a daily digest needs (new, ongoing, resolved), latest occurrence first.
        """
        sql = (
            INCIDENTS
            + """ WHERE i.created_at >= :since OR i.resolved_at >= :since
                                  OR i.status = 'open'
                               ORDER BY i.last DESC, i.id DESC LIMIT :limit"""
        )
        rows = self.conn.execute(sql, {"since": iso(since), "limit": limit})
        return [incident_from_row(row) for row in rows]

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
        sql = INCIDENTS + " WHERE (" + " OR ".join(match) + ")"
        if exclude_server is not None:
            sql += f" AND i.server_id NOT IN ({SERVER_IDS})"
            params += named(exclude_server)
        sql += """ ORDER BY i.status = 'resolved' DESC, i.note IS NOT NULL DESC,
                   i.last DESC LIMIT ?"""
        return [incident_from_row(row) for row in self.conn.execute(sql, [*params, limit])]

    def incidents_in_thread(self, channel: str, thread_ts: str, limit: int = 20) -> list[Incident]:
        """The incidents discussed in one Slack thread (set_thread / resolve), latest first."""
        sql = (
            INCIDENTS
            + """ WHERE i.channel = ? AND i.thread_ts = ?
                               ORDER BY i.last DESC, i.id DESC LIMIT ?"""
        )
        return [
            incident_from_row(row) for row in self.conn.execute(sql, (channel, thread_ts, limit))
        ]

    def last_uploads(self) -> dict[str, dict[str, Any]]:
        """The latest upload per server: {server: {file_name, uploaded_at, user, source}}."""
        rows = self.conn.execute(
            """SELECT s.name, u.file_name, u.uploaded_at, u.user, u.source
               FROM servers s JOIN uploads u ON u.id = (
                 SELECT us.upload_id FROM upload_servers us JOIN uploads v ON v.id = us.upload_id
                 WHERE us.server_id = s.id ORDER BY v.uploaded_at DESC, v.id DESC LIMIT 1)"""
        )
        return {
            name: {"file_name": file, "uploaded_at": iso_out(dt(at)), "user": user, "source": src}
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
        since = iso((now or now_utc()) - timedelta(days=days))
        incidents, last = self.conn.execute(
            f"""SELECT count(*), max(last) FROM incidents
                WHERE server_id IN ({SERVER_IDS}) AND event_id = ? AND code IS ?
                  AND last >= ?""",
            (*named(server), event_id, code, since),
        ).fetchone()
        (events,) = self.conn.execute(
            f"""SELECT count(*) FROM events
                WHERE server_id IN ({SERVER_IDS}) AND event_id = ? AND code IS ?
                  AND time >= ?""",
            (*named(server), event_id, code, since),
        ).fetchone()
        resolved = self.conn.execute(
            INCIDENTS
            + f""" WHERE i.server_id IN ({SERVER_IDS}) AND i.event_id = ? AND i.code IS ?
                   AND i.status = 'resolved' ORDER BY i.resolved_at DESC LIMIT 1""",
            (*named(server), event_id, code),
        ).fetchone()
        return Recent(
            server=server,
            event_id=event_id,
            code=code,
            days=days,
            incidents=incidents,
            events=events,
            last=dt_or_none(last),
            last_resolution=incident_from_row(resolved) if resolved else None,
        )


# A server named exactly, or by its short name: "NDES01" finds "NDES01.contoso.com".
SERVER_IDS = "SELECT id FROM servers WHERE name = ? OR name LIKE ? ESCAPE '\\'"


def named(server: str) -> list[str]:
    """The parameters of SERVER_IDS: the name, and its domain pattern with % and _ escaped."""
    escaped = server.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return [server, escaped + ".%"]


INCIDENTS = """SELECT i.id, s.name, i.event_id, i.code, i.kind, i.name, i.first, i.last,
       i.count, i.status, i.resolved_by, i.resolved_at, i.note, i.channel, i.thread_ts,
       i.previous_id, i.created_at,
       (SELECT json_group_array(json_array(r.resolved_by, r.resolved_at, r.note))
          FROM resolutions r WHERE r.incident_id = i.id)
     FROM incidents i JOIN servers s ON s.id = i.server_id"""


def incident_from_row(row: Sequence[Any]) -> Incident:
    (id_, server, event_id, code, kind, name, first, last, count, status, by, at, note,
     channel, thread_ts, previous_id, created_at, resolutions) = row  # fmt: skip
    return Incident(
        id=id_,
        server=server,
        event_id=event_id,
        code=code,
        kind=kind,
        name=name,
        first=dt(first),
        last=dt(last),
        count=count,
        status=status,
        resolved_by=by,
        resolved_at=dt_or_none(at),
        note=note,
        channel=channel,
        thread_ts=thread_ts,
        previous_id=previous_id,
        created_at=dt(created_at),
        resolutions=tuple(
            sorted(
                (Resolution(by, dt(at), note) for by, at, note in json.loads(resolutions)),
                key=lambda r: r.at,
            )
        ),
    )
