"""Incident spans: how occurrences of one failure on one server group into incidents.

Pure (no SQL): `fold` takes the stored incidents of one failure kind and the new
occurrence times, and says which incidents grew, which are new, and which were
merged into another. The store reads and writes the rows around it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.history.values import dt, dt_or_none


@dataclass(eq=False)  # spans are compared by identity: `incidents.remove(span)`
class Span:
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
    merged_into: Span | None = None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Span:
        id_, first, last, count, status, resolved_at, previous_id = row
        return cls(
            id=id_,
            first=dt(first),
            last=dt(last),
            count=count,
            status=status,
            resolved_at=dt_or_none(resolved_at),
            previous_id=previous_id,
        )

    @classmethod
    def start(cls, t: datetime, incidents: list[Span]) -> Span:
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

    def absorbs(self, later: Span, gap: timedelta) -> bool:
        """A later incident is really part of this one (the gap between them was filled)."""
        if later.first - self.last > gap:
            return False
        # A resolution between them keeps them apart: the later one is a reopening.
        return self.resolved_at is None or later.last <= self.resolved_at

    def merge(self, later: Span) -> None:
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


def following(incidents: list[Span], span: Span) -> Span | None:
    """The incident after `span` in time (the list is kept in order of first occurrence)."""
    later = [s for s in incidents if s.first > span.first]
    return min(later, key=lambda s: s.first) if later else None


def fold(
    incidents: list[Span], times: Iterable[datetime], gap: timedelta
) -> tuple[list[Span], list[tuple[Span, Span]]]:
    """Fold new occurrences into `incidents` (in order of first occurrence, changed in place).

    Each occurrence joins the earliest incident within `gap` of it that was not
    resolved before it happened; if it then bridges the gap to the next incident,
    the two become one. Otherwise it starts an incident, "reopened" when the one
    before it was resolved. So spans come out the same whatever order files arrive in.

    Returns the incidents touched, and the (gone, into) pairs of merged ones.
    """
    touched: dict[int, Span] = {}  # id(span) -> span
    merged_away: list[tuple[Span, Span]] = []  # (gone, into)
    home: Span | None = None
    nxt: Span | None = None  # the incident after home: only changes when home does
    for t in sorted(times):
        # Times come in order, so while the last home still accepts, it is still the
        # earliest that does: the full search runs once per incident, not per event.
        if home is None or not home.accepts(t, gap):
            home = next((s for s in incidents if s.accepts(t, gap)), None)
            if home is None:
                home = Span.start(t, incidents)
                incidents.append(home)
            nxt = following(incidents, home)
        if t < home.first:
            home.first = t
            incidents.sort(key=lambda s: s.first)
        home.last = max(home.last, t)
        home.count += 1
        home.added += 1
        touched[id(home)] = home
        # Filling a gap can join this incident to the next one.
        if nxt and home.absorbs(nxt, gap):
            home.merge(nxt)
            incidents.remove(nxt)
            touched.pop(id(nxt), None)
            merged_away.append((nxt, home))
            nxt = following(incidents, home)
    return list(touched.values()), merged_away


def survivor(span: Span) -> Span:
    """The incident a merged one ended up in (merges chain within one upload)."""
    while span.merged_into is not None:
        span = span.merged_into
    return span
