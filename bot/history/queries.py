"""The questions the bot asks the history: servers, incidents, similar ones, recent counts.

Every question takes `visible`: the Slack channels whose history the asker may see
(None: everything, as for the CLI). What a log shared in a channel taught the history
is seen there: an incident is visible when a log shared in one of those channels added
to it, a server when such a log named it, an upload when it was shared there. An
incident once visible is shown with its whole count and status, but a resolution made
in a channel not visible loses who made it and its note. Uploads that came from no
channel (the CLI, the prompt) are visible only with `visible=None`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
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

Visible = Collection[str] | None  # Slack channel IDs whose history may be shown; None: all


class Queries(Store):
    """Read-only verbs: every one is a plain SELECT, safe while another process writes."""

    def servers(self, visible: Visible = None) -> list[ServerInfo]:
        """Every connector server, most recently seen first, with its open incidents.

        Scoped by `visible`, a server's first and last event are those its visible
        logs showed (an older file's pruned uploads fall back to the whole span).
        """
        channels = self._scope(visible)
        if channels is None:
            rows = self.conn.execute(
                """SELECT s.name, s.first_seen, s.last_seen,
                     (SELECT count(*) FROM incidents i
                       WHERE i.server_id = s.id AND i.status = 'open'),
                     (SELECT count(*) FROM incidents i WHERE i.server_id = s.id),
                     (SELECT max(u.uploaded_at) FROM upload_servers us
                       JOIN uploads u ON u.id = us.upload_id WHERE us.server_id = s.id)
                   FROM servers s ORDER BY s.last_seen DESC"""
            )
        else:
            seen = incident_seen(channels)
            rows = self.conn.execute(
                f"""SELECT s.name, coalesce(min(us.first), s.first_seen) AS first,
                     coalesce(max(us.last), s.last_seen) AS last,
                     (SELECT count(*) FROM incidents i
                       WHERE i.server_id = s.id AND i.status = 'open' AND {seen}),
                     (SELECT count(*) FROM incidents i WHERE i.server_id = s.id AND {seen}),
                     max(u.uploaded_at)
                   FROM servers s JOIN upload_servers us ON us.server_id = s.id
                   JOIN uploads u ON u.id = us.upload_id
                   WHERE {in_list("u.channel", channels)}
                   GROUP BY s.id ORDER BY last DESC""",
                [*channels, *channels, *channels],
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
        visible: Visible = None,
    ) -> list[Incident]:
        """Incidents, latest occurrence first.

        - `server` matches the name or its short form ("NDES01" finds "NDES01.contoso.com").
        - `since` keeps incidents whose last occurrence is at or after it.
        """
        where, params, channels = self._where_seen(visible)
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
        rows = self.conn.execute(sql, [*params, limit])
        return [incident_from_row(row, channels) for row in rows]

    def incident(self, incident_id: int, visible: Visible = None) -> Incident:
        """One incident; HistoryError when there is none (or none `visible`)."""
        where, params, channels = self._where_seen(visible)
        sql = INCIDENTS + " WHERE " + " AND ".join([*where, "i.id = ?"])
        row = self.conn.execute(sql, [*params, incident_id]).fetchone()
        if row is None:
            raise HistoryError(f"no incident {incident_id} in {self.name}")
        return incident_from_row(row, channels)

    def activity(
        self, since: datetime, limit: int = 500, visible: Visible = None
    ) -> list[Incident]:
        """Incidents recorded or resolved at or after `since`, and every one still open.

        What a daily digest needs (new, ongoing, resolved), latest occurrence first.
        """
        where, params, channels = self._where_seen(visible)
        where.append("(i.created_at >= ? OR i.resolved_at >= ? OR i.status = 'open')")
        sql = (
            INCIDENTS + " WHERE " + " AND ".join(where) + " ORDER BY i.last DESC, i.id DESC LIMIT ?"
        )
        rows = self.conn.execute(sql, [*params, iso(since), iso(since), limit])
        return [incident_from_row(row, channels) for row in rows]

    def similar(
        self,
        event_id: int | None = None,
        code: str | None = None,
        exclude_server: str | None = None,
        limit: int = 10,
        visible: Visible = None,
    ) -> list[Incident]:
        """The same event ID or code on any server: resolved ones (with notes) first."""
        if event_id is None and code is None:
            return []
        where, seen, channels = self._where_seen(visible)
        match, params = [], []
        if event_id is not None:
            match.append("i.event_id = ?")
            params.append(event_id)
        if code is not None:
            match.append("i.code = ?")
            params.append(code)
        sql = INCIDENTS + " WHERE (" + " OR ".join(match) + ")"
        sql, params = " AND ".join([sql, *where]), [*params, *seen]
        if exclude_server is not None:
            sql += f" AND i.server_id NOT IN ({SERVER_IDS})"
            params += named(exclude_server)
        sql += """ ORDER BY i.status = 'resolved' DESC, i.note IS NOT NULL DESC,
                   i.last DESC LIMIT ?"""
        rows = self.conn.execute(sql, [*params, limit])
        return [incident_from_row(row, channels) for row in rows]

    def incidents_in_thread(
        self, channel: str, thread_ts: str, limit: int = 20, visible: Visible = None
    ) -> list[Incident]:
        """The incidents discussed in one Slack thread (set_thread / resolve), latest first."""
        where, params, channels = self._where_seen(visible)
        where += ["i.channel = ?", "i.thread_ts = ?"]
        sql = (
            INCIDENTS + " WHERE " + " AND ".join(where) + " ORDER BY i.last DESC, i.id DESC LIMIT ?"
        )
        rows = self.conn.execute(sql, [*params, channel, thread_ts, limit])
        return [incident_from_row(row, channels) for row in rows]

    def last_uploads(self, visible: Visible = None) -> dict[str, dict[str, Any]]:
        """The latest upload per server: {server: {file_name, uploaded_at, user, source}}."""
        channels = self._scope(visible)
        shared = "" if channels is None else " AND " + in_list("v.channel", channels)
        rows = self.conn.execute(
            f"""SELECT s.name, u.file_name, u.uploaded_at, u.user, u.source
               FROM servers s JOIN uploads u ON u.id = (
                 SELECT us.upload_id FROM upload_servers us JOIN uploads v ON v.id = us.upload_id
                 WHERE us.server_id = s.id{shared}
                 ORDER BY v.uploaded_at DESC, v.id DESC LIMIT 1)""",
            channels or [],
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
        visible: Visible = None,
    ) -> Recent:
        """How often one failure hit one server in the last `days`, and how it was fixed last.

        Scoped by `visible`, only events first stored from a visible log are counted.
        """
        since = iso((now or now_utc()) - timedelta(days=days))
        channels = self._scope(visible)
        seen, shared, scope = "1", "1", []
        if channels is not None:
            seen, scope = incident_seen(channels), channels
            shared = f"upload_id IN (SELECT id FROM uploads WHERE {in_list('channel', channels)})"
        incidents, last = self.conn.execute(
            f"""SELECT count(*), max(last) FROM incidents i
                WHERE server_id IN ({SERVER_IDS}) AND event_id = ? AND code IS ?
                  AND last >= ? AND {seen}""",
            (*named(server), event_id, code, since, *scope),
        ).fetchone()
        (events,) = self.conn.execute(
            f"""SELECT count(*) FROM events
                WHERE server_id IN ({SERVER_IDS}) AND event_id = ? AND code IS ?
                  AND time >= ? AND {shared}""",
            (*named(server), event_id, code, since, *scope),
        ).fetchone()
        resolved = self.conn.execute(
            INCIDENTS
            + f""" WHERE i.server_id IN ({SERVER_IDS}) AND i.event_id = ? AND i.code IS ?
                   AND i.status = 'resolved' AND {seen}
                   ORDER BY i.resolved_at DESC LIMIT 1""",
            (*named(server), event_id, code, *scope),
        ).fetchone()
        return Recent(
            server=server,
            event_id=event_id,
            code=code,
            days=days,
            incidents=incidents,
            events=events,
            last=dt_or_none(last),
            last_resolution=incident_from_row(resolved, channels) if resolved else None,
        )

    def _scope(self, visible: Visible) -> list[str] | None:
        """The channels of `visible` this history has learned from (None: no limit).

        A person may be in thousands of channels; the history knows a few: so the
        SQL gets a few parameters, not thousands.
        """
        if visible is None:
            return None
        wanted = set(visible)
        return [c for c in self.channels() if c in wanted]

    def channels(self) -> list[str]:
        """The Slack channels this history learned something in (logs shared there)."""
        rows = self.conn.execute(
            """SELECT channel FROM incident_channels
               UNION SELECT channel FROM uploads WHERE channel IS NOT NULL AND channel != ''"""
        )
        return [c for (c,) in rows]

    def _where_seen(self, visible: Visible) -> tuple[list[str], list[Any], list[str] | None]:
        """The WHERE condition (as a list to AND) keeping the incidents `visible` may see,
        its parameters, and the channels (for incident_from_row)."""
        channels = self._scope(visible)
        if channels is None:
            return [], [], None
        return [incident_seen(channels)], list(channels), channels


def in_list(column: str, values: Sequence[str]) -> str:
    """`column IN (?, …)`, false for no values: the parameters are the values."""
    return f"{column} IN ({', '.join('?' * len(values))})" if values else "0"


def incident_seen(channels: Sequence[str]) -> str:
    """Incident `i` was learned in one of `channels` (the parameters)."""
    return (
        f"i.id IN (SELECT incident_id FROM incident_channels WHERE {in_list('channel', channels)})"
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
       (SELECT json_group_array(json_array(r.resolved_by, r.resolved_at, r.note, r.channel))
          FROM resolutions r WHERE r.incident_id = i.id)
     FROM incidents i JOIN servers s ON s.id = i.server_id"""


def incident_from_row(row: Sequence[Any], channels: Collection[str] | None = None) -> Incident:
    """An Incident; with `channels`, the resolutions made elsewhere lose who and how.

    A resolution remembers the channel it was made in (older ones: none, and they
    show wherever the incident does). The incident still says it was resolved, and
    when: that is the incident's state, which everyone who sees it shares.
    """
    (id_, server, event_id, code, kind, name, first, last, count, status, by, at, note,
     channel, thread_ts, previous_id, created_at, resolutions) = row  # fmt: skip
    done = []
    for r_by, r_at, r_note, r_channel in json.loads(resolutions):
        if channels is not None and r_channel is not None and r_channel not in channels:
            if r_at == at:  # the latest resolution, also on the incident's own row
                by = note = None
            r_by = r_note = None
        done.append(Resolution(r_by, dt(r_at), r_note))
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
        resolutions=tuple(sorted(done, key=lambda r: r.at)),
    )
