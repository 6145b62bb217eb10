"""What goes in and out of the history store: plain frozen values, and how times are written.

Times are stored as fixed-width UTC text (`iso`), so that text order is time
order in SQL; JSON gets ISO 8601 UTC without needless microseconds (`iso_out`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class UploadInfo:
    """One file the bot read, and who gave it. Never put a token in here."""

    file_name: str
    sha256: str
    size: int
    format: str  # evtx | xml | csv | txt
    source: str = "cli"  # "slack" or "cli"
    user: str | None = None  # Slack user ID, or the OS user for the CLI
    channel: str | None = None
    thread_ts: str | None = None
    file_id: str | None = None
    records: int = 0  # records read from the file (connector or not)
    problems: Sequence[Any] = ()  # what could not be read: Problem values or their dicts
    uploaded_at: datetime | None = None  # default: now

    @classmethod
    def from_file(cls, path: str | Path, format: str, **fields: Any) -> UploadInfo:
        """Hash and measure a file on disk; `fields` fills in the rest (source, user, ...)."""
        path = Path(path)
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        return cls(
            file_name=path.name,
            sha256=digest.hexdigest(),
            size=path.stat().st_size,
            format=format,
            **fields,
        )


@dataclass(frozen=True)
class Resolution:
    """Someone said an incident was fixed, and how."""

    by: str | None
    at: datetime
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"by": self.by, "at": iso_out(self.at), "note": self.note}


@dataclass(frozen=True)
class Incident:
    id: int
    server: str
    event_id: int
    code: str | None
    kind: str  # failure | warning
    name: str | None  # the event's name in the catalogue, when it is known
    first: datetime
    last: datetime
    count: int
    status: str  # open | resolved
    resolved_by: str | None
    resolved_at: datetime | None
    note: str | None
    channel: str | None
    thread_ts: str | None
    previous_id: int | None  # the resolved incident this one recurred after
    created_at: datetime
    # Every resolution, oldest first: one, or several when older split incidents were
    # merged; the latest is also in resolved_by / resolved_at / note while it holds.
    resolutions: tuple[Resolution, ...] = ()

    @property
    def unknown_server(self) -> bool:
        """Recorded by an older release from an export that named no computer."""
        return not self.server.strip()

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: times as ISO 8601 UTC, event ID as a string like the CLI contract."""
        data = asdict(self)
        data["event_id"] = str(self.event_id)
        for name in ("first", "last", "resolved_at", "created_at"):
            data[name] = iso_out(data[name])
        data["resolutions"] = [r.to_dict() for r in self.resolutions]
        return data


@dataclass(frozen=True)
class IncidentChange:
    """What one upload did to one incident."""

    change: str  # new | ongoing | recurred
    added: int  # events this upload added to it
    incident: Incident

    def to_dict(self) -> dict[str, Any]:
        return {"change": self.change, "added": self.added, **self.incident.to_dict()}


@dataclass(frozen=True)
class SelfHealing:
    """Warnings of one kind the catalogue gives nothing to fix: counted, no incident."""

    server: str
    event_id: int
    code: str | None
    name: str | None
    count: int  # new in this upload

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "event_id": str(self.event_id)}


@dataclass(frozen=True)
class IngestResult:
    upload_id: int
    already_recorded: bool  # the same file (SHA-256) was recorded before: nothing changed
    servers: tuple[str, ...]
    events: int  # connector events in the file
    new_events: int  # events no earlier upload had
    incidents: tuple[IncidentChange, ...] = ()
    too_old: int = 0  # events older than what prune removed, not stored again
    self_healing: tuple[SelfHealing, ...] = ()
    untracked: int = 0  # failure kinds past MAX_INCIDENTS: events stored, no incident opened

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["incidents"] = [c.to_dict() for c in self.incidents]
        data["self_healing"] = [h.to_dict() for h in self.self_healing]
        data["servers"] = list(self.servers)
        return data


@dataclass(frozen=True)
class ServerInfo:
    name: str
    first_seen: datetime  # earliest event
    last_seen: datetime  # latest event
    open_incidents: int
    incidents: int
    last_upload: datetime | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("first_seen", "last_seen", "last_upload"):
            data[name] = iso_out(data[name])
        return data


@dataclass(frozen=True)
class Recent:
    """The recent history of one failure on one server: "3 times in 30 days"."""

    server: str
    event_id: int
    code: str | None
    days: int
    incidents: int
    events: int
    last: datetime | None  # latest occurrence in the window
    last_resolution: Incident | None  # the latest resolved incident, with its note

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["event_id"] = str(self.event_id)
        data["last"] = iso_out(self.last)
        data["last_resolution"] = self.last_resolution and self.last_resolution.to_dict()
        return data


# -- times as text -----------------------------------------------------------------------


def now_utc() -> datetime:
    return datetime.now(UTC)


def iso(t: datetime) -> str:
    """Fixed-width UTC text, so that text order is time order in SQL."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    # "2026-11-02T08:00:00.000000+00:00" -> "...000000Z"; isoformat is 5x faster than strftime.
    return t.astimezone(UTC).isoformat(timespec="microseconds")[:26] + "Z"


def iso_or_none(t: datetime | None) -> str | None:
    return None if t is None else iso(t)


def iso_out(t: datetime | None) -> str | None:
    """ISO 8601 UTC for JSON, without microseconds when there are none."""
    if t is None:
        return None
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def dt_or_none(text: str | None) -> datetime | None:
    return None if text is None else dt(text)
