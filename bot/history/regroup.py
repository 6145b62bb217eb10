"""Schema 3's migration: merge the incidents that releases before it split at quiet gaps.

Those releases started a new incident when a failure came back after 24 quiet
hours, so one outage that paused overnight became several open incidents. The
rule now (see spans) is one incident per failure kind until a resolution. The
old incidents of one kind are walked in time order and grouped the same way:
an incident joins the group before it unless that group was resolved before
the incident began; then it starts a new group that recurred after it.

Nothing people wrote is lost: every resolution and note stays in `resolutions`
(pointing at the merged incident), and a merged incident keeps the first Slack
thread any of its parts had.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field


@dataclass
class _Part:
    id: int
    first: str  # times as stored: fixed-width UTC text, so text order is time order
    last: str
    count: int
    resolved_at: str | None


@dataclass
class _Group:
    parts: list[_Part] = field(default_factory=list)

    @property
    def resolved_at(self) -> str | None:
        """The latest resolution of its parts, when nothing happened after it."""
        times = [p.resolved_at for p in self.parts if p.resolved_at]
        if not times or max(p.last for p in self.parts) > max(times):
            return None
        return max(times)


def group(parts: list[_Part]) -> list[_Group]:
    """Old incidents of one failure kind, in order of first occurrence, grouped by the rule."""
    groups: list[_Group] = []
    for part in sorted(parts, key=lambda p: (p.first, p.id)):
        closed = groups[-1].resolved_at if groups else None
        if not groups or (closed is not None and part.first > closed):
            groups.append(_Group())
        groups[-1].parts.append(part)
    return groups


def merge_split_incidents(conn: sqlite3.Connection) -> None:
    """Merge every failure kind's incidents by the rule; run inside the migration."""
    kinds = conn.execute(
        """SELECT server_id, event_id, code, kind FROM incidents
           GROUP BY server_id, event_id, code, kind HAVING count(*) > 1"""
    ).fetchall()
    for server_id, event_id, code, kind in kinds:
        parts = [
            _Part(*row)
            for row in conn.execute(
                """SELECT id, first, last, count, resolved_at FROM incidents
                   WHERE server_id = ? AND event_id = ? AND code IS ? AND kind = ?""",
                (server_id, event_id, code, kind),
            )
        ]
        previous: int | None = None
        for g in group(parts):
            keep = g.parts[0].id
            _merge(conn, keep, [p.id for p in g.parts[1:]], g.resolved_at, previous)
            previous = keep


def _merge(
    conn: sqlite3.Connection,
    keep: int,
    gone: list[int],
    resolved_at: str | None,
    previous: int | None,
) -> None:
    """Fold the `gone` incidents into `keep`; its resolution is the group's latest one."""
    ids = [keep, *gone]
    marks = ", ".join("?" * len(ids))
    conn.execute(
        f"""UPDATE incidents SET
              first = (SELECT min(first) FROM incidents WHERE id IN ({marks})),
              last = (SELECT max(last) FROM incidents WHERE id IN ({marks})),
              count = (SELECT sum(count) FROM incidents WHERE id IN ({marks})),
              created_at = (SELECT min(created_at) FROM incidents WHERE id IN ({marks})),
              name = (SELECT name FROM incidents WHERE id IN ({marks}) AND name IS NOT NULL
                      ORDER BY first LIMIT 1),
              channel = (SELECT channel FROM incidents WHERE id IN ({marks})
                         AND thread_ts IS NOT NULL ORDER BY first LIMIT 1),
              thread_ts = (SELECT thread_ts FROM incidents WHERE id IN ({marks})
                           AND thread_ts IS NOT NULL ORDER BY first LIMIT 1),
              previous_id = ?
            WHERE id = ?""",
        [*ids * 7, previous, keep],
    )
    conn.execute(
        f"UPDATE resolutions SET incident_id = ? WHERE incident_id IN ({marks})", [keep, *ids]
    )
    latest = conn.execute(
        """SELECT resolved_by, resolved_at, note FROM resolutions
           WHERE incident_id = ? ORDER BY resolved_at DESC LIMIT 1""",
        (keep,),
    ).fetchone()
    if resolved_at is not None and latest is not None:
        conn.execute(
            """UPDATE incidents SET status = 'resolved', resolved_by = ?, resolved_at = ?,
                   note = ? WHERE id = ?""",
            (*latest, keep),
        )
    else:  # failures came after the last resolution: open, its resolutions kept apart
        conn.execute(
            """UPDATE incidents SET status = 'open', resolved_by = NULL, resolved_at = NULL,
                   note = NULL WHERE id = ?""",
            (keep,),
        )
    if gone:
        conn.execute(f"DELETE FROM incidents WHERE id IN ({', '.join('?' * len(gone))})", gone)
