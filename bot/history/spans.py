"""Incident spans: which occurrences of one failure on one server make one incident.

One open incident per (server, failure kind) until someone resolves it: a pause,
however long, does not split it. A resolution closes the incident at that moment;
a later occurrence opens a new one, linked to it ("recurred"). So the resolutions
of one failure kind cut its time line into incidents, and an occurrence belongs
to the first incident not resolved before it happened. That depends only on the
stored events and resolutions, never on the order files arrive in: an older
export read late joins the incident that was open at its time.

Pure (no SQL): `fold` takes the stored incidents of one failure kind and the new
occurrence times, and says which incidents grew and which are new. The store
reads and writes the rows around it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.history.values import dt, dt_or_none


@dataclass(eq=False)  # spans are compared by identity: one incident, one object
class Span:
    """An incident while an upload is folded in (in memory, times as datetimes)."""

    first: datetime
    last: datetime
    count: int
    change: str = "ongoing"  # what this upload did to it: new | ongoing | recurred
    id: int | None = None
    resolved_at: datetime | None = None  # None: open
    previous_id: int | None = None  # the resolved incident this one recurred after
    added: int = 0

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Span:
        id_, first, last, count, resolved_at, previous_id = row
        return cls(
            id=id_,
            first=dt(first),
            last=dt(last),
            count=count,
            resolved_at=dt_or_none(resolved_at),
            previous_id=previous_id,
        )

    def holds(self, t: datetime) -> bool:
        """t belongs here, given that no earlier incident does: open, or resolved after t."""
        return self.resolved_at is None or t <= self.resolved_at


def in_order(incidents: Iterable[Span]) -> list[Span]:
    """Resolved incidents by resolution time, then the open one: the order of the time line."""
    return sorted(incidents, key=lambda s: (s.resolved_at is None, s.resolved_at or s.first))


def fold(incidents: list[Span], times: Iterable[datetime]) -> list[Span]:
    """Fold new occurrences into the incidents of one failure kind; return those touched.

    `incidents` is changed in place (a new incident is appended). An occurrence after
    every resolution, with no incident open, opens one: "recurred" when an earlier
    one was resolved, else "new".
    """
    line = in_order(incidents)
    touched: dict[int, Span] = {}  # id(span) -> span, in the order first touched
    i = 0
    for t in sorted(times):
        # Times come in order, and so do the resolutions: the home only moves forward.
        while i < len(line) and not line[i].holds(t):
            i += 1
        if i == len(line):
            previous = line[-1] if line else None
            home = Span(
                first=t,
                last=t,
                count=0,
                change="recurred" if previous else "new",
                previous_id=previous.id if previous else None,
            )
            line.append(home)
            incidents.append(home)
        home = line[i]
        home.first, home.last = min(home.first, t), max(home.last, t)
        home.count += 1
        home.added += 1
        touched[id(home)] = home
    return list(touched.values())
