"""Connector events as the history's rows: what record_upload stores of each event.

A record is the same record in two exports when its server, log channel,
record ID, time and event ID match; text exports without record IDs (CSV)
are keyed by a hash of their fields, identical twins numbered.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from bot.history.opener import HistoryError
from bot.history.values import iso

if TYPE_CHECKING:  # only its attributes are read: no import cost, no import cycle
    from bot.classify import ConnectorEvent

SKIPPED_OUTCOMES = ("noise",)  # not connector events: never stored


class NoServer(HistoryError):
    """Events that name no computer, and no server was given for them: nothing recorded."""



def event_rows(
    events: Iterable[ConnectorEvent], server: str | None
) -> tuple[list[tuple[Any, ...]], dict[int, str], set[int]]:
    """Rows to store for `events`, server name first; the catalogue name of each event ID;
    and the event IDs whose warnings heal themselves (the catalogue gives no fix).

    A row is (server, channel, record_key, time, event_id, outcome, code, device,
    user, ca, template): the events columns, with names for the server and channel.
    """
    rows = []
    names: dict[int, str] = {}
    warnings: set[int] = set()
    fixable: set[int] = set()
    twins: dict[tuple[str, str, str, str], int] = defaultdict(int)
    nameless = 0
    fallback = (server or "").strip()
    for ce in events:
        if ce.outcome in SKIPPED_OUTCOMES:
            continue
        e = ce.event
        if ce.entry is not None:
            names[e.event_id] = ce.entry.name
        if ce.outcome == "warning":
            warnings.add(e.event_id)
            if ce.entry is not None and ce.entry.fixes:
                fixable.add(e.event_id)
        computer = e.computer if isinstance(e.computer, str) else ""
        if not computer.strip():
            nameless += 1
            computer = fallback
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
            twin = (computer, channel, time, digest)
            twins[twin] += 1
            key = f"h:{digest}:{twins[twin]}"
        rows.append(
            (
                computer,
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
    if nameless and not fallback:
        raise NoServer(
            f"{nameless} connector events name no computer (an export without the Computer "
            "column): say which server they came from"
        )
    return rows, names, warnings - fixable


def nameless_events(events: Iterable[ConnectorEvent]) -> int:
    """How many of these events record_upload would store that name no computer."""
    return sum(
        1
        for ce in events
        if ce.outcome not in SKIPPED_OUTCOMES
        and not (isinstance(ce.event.computer, str) and ce.event.computer.strip())
    )
