"""Read event log exports (.evtx, Event Viewer XML / CSV / TXT) as normalized events.

`open_log(path)` detects the format by content and returns a `LogFile`;
iterating it streams `Event`s, and `problems` lists what could not be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Event:
    """One event record, the same shape whatever the export format."""

    record_id: int | None
    time: datetime  # timezone-aware, UTC
    event_id: int
    level: int | None  # 1 critical, 2 error, 3 warning, 4 information (0 = log always)
    provider: str
    channel: str
    computer: str
    data: dict[str, str] = field(default_factory=dict)  # EventData name -> value
    message: str | None = None  # rendered message, where the export has one


@dataclass(frozen=True, slots=True)
class Problem:
    """A record or part of the file that could not be read."""

    where: str  # "chunk 3 (offset 0x31000)", "line 42", "record 17"
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"where": self.where, "reason": self.reason}


class ParserUnavailable(RuntimeError):
    """The chosen EVTX reader is not installed; str(err) is one line saying which to use."""


class NotAnEventLog(ValueError):
    """The file is not an event log export; str(err) is one clear line for the user."""


# The readers import Event/Problem from here, so they come after the types.
from bot.logs.logfile import LogFile, open_log, read_events  # noqa: E402

__all__ = [
    "Event", "LogFile", "NotAnEventLog", "ParserUnavailable", "Problem", "open_log", "read_events",
]  # fmt: skip
