"""Test support for the history store: connector events, uploads, and a fresh store."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.classify import ConnectorEvent
from bot.entry import Entry
from bot.history import History, UploadInfo
from bot.logs import Event

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
SERVER = "NDES01.contoso.com"
CA_DOWN = (20502, "0x800706BA")  # legacy PKCS failure, RPC server unavailable


def raw_event(
    event_id: int,
    data: dict[str, str] | None = None,
    *,
    message: str | None = None,
    time: datetime = T0,
    record_id: int | None = 1,
    level: int = 2,
    provider: str = "Microsoft-Intune-CertificateConnectors",
    channel: str = "Microsoft-Intune-CertificateConnectors/Operational",
    computer: str = SERVER,
) -> Event:
    """One event as a reader yields it: the tests' one factory of log records."""
    return Event(record_id=record_id, time=time, event_id=event_id, level=level,
                 provider=provider, channel=channel, computer=computer, data=data or {},
                 message=message)  # fmt: skip


def connector_event(
    record_id: int | None,
    hours: float,
    *,
    server: str = SERVER,
    event_id: int = CA_DOWN[0],
    code: str | None = CA_DOWN[1],
    outcome: str = "failure",
    device: str | None = "dev-1",
    message: str | None = None,
    start: datetime = T0,
    entry: Entry | None = None,
) -> ConnectorEvent:
    """One connector event `hours` after `start`, as the classifier would make it."""
    event = raw_event(event_id, {"DeviceId": device or ""}, message=message, record_id=record_id,
                      time=start + timedelta(hours=hours), computer=server,
                      level=2 if outcome == "failure" else 4)  # fmt: skip
    return ConnectorEvent(
        event=event,
        entry=entry,
        outcome=outcome,
        operation="pkcs_issue",
        code=code,
        device_id=device,
        ca="CA01\\Contoso Issuing CA",
        template="IntuneUser",
    )


def upload(name: str = "Application.evtx", **fields: object) -> UploadInfo:
    """An upload whose SHA-256 is derived from its name: a different name is a different file."""
    return UploadInfo(
        file_name=name,
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        size=1024,
        format="evtx",
        **fields,  # type: ignore[arg-type]
    )


def failures(records: range, every_hours: float = 1.0, **kw: object) -> list[ConnectorEvent]:
    """Failures with these record IDs, one every `every_hours` (record N at N * every_hours)."""
    return [connector_event(r, r * every_hours, **kw) for r in records]  # type: ignore[arg-type]


def spans(history: History) -> list[tuple[str, int, str, str, datetime, datetime, int]]:
    """Incidents reduced to what must not depend on ingest order."""
    return sorted(
        (i.server, i.event_id, i.code or "", i.kind, i.first, i.last, i.count)
        for i in history.incidents(limit=10_000)
    )


def counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("servers", "uploads", "upload_servers", "events", "incidents")
        }
