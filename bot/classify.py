"""Recognize connector events and pull out what a helpdesk needs from them.

An `Event` from any export becomes a `ConnectorEvent`: which catalogue entry
it is, its outcome, the diagnostic code or HRESULT, and the device, user, CA,
template, thumbprint and serial it concerns. Field names of the legacy
connector's EventData are not documented, so every field is taken from a
named data field when present and from the message text otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge import Entry
from bot.logs import Event


@dataclass(frozen=True, slots=True)
class ConnectorEvent:
    event: Event
    entry: Entry | None  # the catalogue entry for this event, None if unknown
    outcome: str  # success | warning | failure | retry | info | noise
    operation: str
    code: str | None  # canonical diagnostic code or HRESULT, "0x00000410"
    device_id: str | None = None
    user_id: str | None = None
    ca: str | None = None
    template: str | None = None
    thumbprint: str | None = None
    serial: str | None = None

    @property
    def server(self) -> str:
        return self.event.computer
