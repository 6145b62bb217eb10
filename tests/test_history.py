"""The incident history, on real SQLite files: every rule of the store has a test here."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from bot.classify import ConnectorEvent
from bot.history import (
    SCHEMA_VERSION,
    History,
    HistoryError,
    UploadInfo,
    default_path,
    open_history,
)
from bot.logs import Event, Problem

REPO = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
SERVER = "NDES01.contoso.com"
CA_DOWN = (20502, "0x800706BA")  # legacy PKCS failure, RPC server unavailable


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
) -> ConnectorEvent:
    """One connector event `hours` after T0, as the classifier would make it."""
    event = Event(
        record_id=record_id,
        time=T0 + timedelta(hours=hours),
        event_id=event_id,
        level=2 if outcome == "failure" else 4,
        provider="Microsoft-Intune-CertificateConnectors",
        channel="Microsoft-Intune-CertificateConnectors/Operational",
        computer=server,
        data={"DeviceId": device or ""},
        message=message,
    )
    return ConnectorEvent(
        event=event,
        entry=None,
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


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "history.db"


@pytest.fixture
def history(db_path: Path):
    """A fresh history on a real file: `history.record_upload(upload(), [...])`."""
    with open_history(db_path) as h:
        yield h


# -- recording ---------------------------------------------------------------------------


def test_record_upload_opens_incident_from_failures(history):
    result = history.record_upload(upload(), failures(range(1, 4)))

    assert not result.already_recorded
    assert result.servers == (SERVER,)
    assert (result.events, result.new_events) == (3, 3)
    [change] = result.incidents
    assert (change.change, change.added) == ("new", 3)
    incident = change.incident
    assert (incident.server, incident.event_id, incident.code) == (SERVER, *CA_DOWN)
    assert (incident.first, incident.last, incident.count) == (
        T0 + timedelta(hours=1),
        T0 + timedelta(hours=3),
        3,
    )
    assert (incident.status, incident.kind) == ("open", "failure")


def test_record_upload_same_file_twice_changes_nothing(history, db_path):
    events = failures(range(1, 6))
    first = history.record_upload(upload(), events)
    before = (counts(db_path), spans(history))

    again = history.record_upload(upload(user="U2"), events)

    assert again.already_recorded
    assert again.upload_id == first.upload_id
    assert (again.new_events, again.incidents) == (0, ())
    assert (counts(db_path), spans(history)) == before


def test_record_upload_overlapping_exports_count_shared_records_once(history):
    monday = history.record_upload(upload("monday.evtx"), failures(range(1, 11)))
    tuesday = history.record_upload(upload("tuesday.evtx"), failures(range(6, 16)))

    assert (monday.new_events, tuesday.new_events) == (10, 5)
    [change] = tuesday.incidents
    assert (change.change, change.added, change.incident.count) == ("ongoing", 5, 15)
    assert spans(history)[0][4:] == (T0 + timedelta(hours=1), T0 + timedelta(hours=15), 15)


def test_record_upload_records_without_ids_are_keyed_by_their_fields(history):
    """CSV exports have no record ID: the same record in two exports still counts once."""
    shared = [connector_event(None, h, message=f"failure {h}") for h in (1, 2, 3)]
    twins = [connector_event(None, 4, message="same"), connector_event(None, 4, message="same")]

    history.record_upload(upload("a.csv"), shared + twins)
    second = history.record_upload(upload("b.csv"), [*shared, *twins, connector_event(None, 5)])

    assert second.new_events == 1
    # Two identical records in one export are two records, not one.
    assert spans(history)[0][-1] == 6


def test_record_upload_splits_servers(history):
    events = failures(range(1, 4)) + failures(range(1, 3), server="NDES02.contoso.com")

    result = history.record_upload(upload(), events)

    assert sorted(result.servers) == [SERVER, "NDES02.contoso.com"]
    by_server = {c.incident.server: c.incident.count for c in result.incidents}
    assert by_server == {SERVER: 3, "NDES02.contoso.com": 2}
    assert {s.name: s.open_incidents for s in history.servers()} == by_server.fromkeys(by_server, 1)


def test_record_upload_server_names_ignore_case(history):
    history.record_upload(upload("a"), failures(range(1, 3)))
    history.record_upload(upload("b"), failures(range(3, 5), server=SERVER.upper()))

    assert [s.name for s in history.servers()] == [SERVER]
    assert spans(history)[0][-1] == 4
    mixed = failures(range(5, 6)) + failures(range(6, 7), server=SERVER.lower().upper())
    assert history.record_upload(upload("c"), mixed).servers == (SERVER,)


def test_record_upload_quiet_gap_starts_new_incident(history):
    events = [connector_event(1, 0), connector_event(2, 23), connector_event(3, 48)]

    result = history.record_upload(upload(), events)

    assert [(c.change, c.incident.count) for c in result.incidents] == [("new", 2), ("new", 1)]


def test_record_upload_gap_is_a_setting(db_path):
    with open_history(db_path, gap=timedelta(hours=1)) as h:
        h.record_upload(upload(), [connector_event(1, 0), connector_event(2, 2)])
        assert len(h.incidents()) == 2


def test_record_upload_after_resolve_reopens(history):
    [old] = history.record_upload(upload("a"), failures(range(1, 3))).incidents
    assert history.resolve(old.incident.id, "U1", "restarted the CA", at=T0 + timedelta(hours=5))

    result = history.record_upload(upload("b"), failures(range(6, 8)))

    [change] = result.incidents
    assert change.change == "reopened"
    assert change.incident.previous_id == old.incident.id
    assert change.incident.status == "open"
    assert history.incident(old.incident.id).count == 2


def test_record_upload_late_event_before_resolution_joins_resolved_incident(history):
    [old] = history.record_upload(upload("a"), failures(range(1, 3))).incidents
    history.resolve(old.incident.id, "U1", "fixed", at=T0 + timedelta(hours=10))

    [change] = history.record_upload(upload("b"), failures(range(3, 5))).incidents

    assert (change.change, change.incident.id, change.incident.count) == (
        "ongoing",
        old.incident.id,
        4,
    )
    assert change.incident.status == "resolved"


def test_record_upload_older_file_after_newer_keeps_spans(history, tmp_path):
    """Tuesday's export read before Monday's gives the incidents reading them in order gives."""
    monday = failures(range(0, 20, 4))  # hours 0..16
    tuesday = failures(range(60, 70))  # hours 60..69: 44 h after Monday, a new incident
    bridge = [connector_event(100, 38)]  # 22 h after Monday, 22 h before Tuesday

    history.record_upload(upload("tuesday"), tuesday)
    history.record_upload(upload("monday"), monday)
    assert [s[-1] for s in spans(history)] == [5, 10]
    history.record_upload(upload("bridge"), bridge)
    with open_history(tmp_path / "in-order.db") as in_order:
        for name, events in (("monday", monday), ("bridge", bridge), ("tuesday", tuesday)):
            in_order.record_upload(upload(name), events)
        assert spans(history) == spans(in_order)
    assert [s[-1] for s in spans(history)] == [16]


def test_record_upload_bridging_event_merges_two_incidents(history):
    first = history.record_upload(upload("a"), [connector_event(1, 0)]).incidents[0]
    history.record_upload(upload("b"), [connector_event(3, 40)])
    history.set_thread(first.incident.id, "C1", "1700000000.000100")

    [change] = history.record_upload(upload("c"), [connector_event(2, 20)]).incidents

    assert change.incident.id == first.incident.id
    assert (change.incident.count, change.incident.thread_ts) == (3, "1700000000.000100")
    assert len(history.incidents()) == 1


def test_record_upload_bridging_an_open_and_a_resolved_incident_keeps_the_resolution(history):
    [first] = history.record_upload(upload("a"), [connector_event(1, 0)]).incidents
    [later] = history.record_upload(upload("b"), [connector_event(3, 40)]).incidents
    history.resolve(later.incident.id, "U9", "renewed the cert", at=T0 + timedelta(hours=50))

    [change] = history.record_upload(upload("c"), [connector_event(2, 20)]).incidents

    merged = change.incident
    assert (merged.id, merged.count, merged.status) == (first.incident.id, 3, "resolved")
    assert (merged.resolved_by, merged.note) == ("U9", "renewed the cert")
    assert [i.id for i in history.incidents()] == [first.incident.id]


KINDS = [("failure", "0x800706BA"), ("failure", "0x80094800"), ("warning", None)]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=st.lists(
        st.tuples(
            st.integers(0, 24 * 8),  # hour
            st.sampled_from(KINDS),
            st.sets(st.integers(0, 2), min_size=1),  # the exports that contain it
        ),
        min_size=1,
        max_size=30,
    ),
    order=st.permutations([0, 1, 2]),
)
def test_record_upload_incidents_do_not_depend_on_file_order(records, order):
    """Failures spread over overlapping exports, read in any order, give the spans that
    one export of them all gives."""
    events = [
        (connector_event(i, hour, code=code, outcome=outcome), files)
        for i, (hour, (outcome, code), files) in enumerate(records)
    ]
    one_file = History(Database(memory=True))
    one_file.record_upload(upload("all"), [e for e, _ in events])
    split = History(Database(memory=True))
    for part in order:
        split.record_upload(upload(f"part{part}"), [e for e, files in events if part in files])

    assert spans(split) == spans(one_file)


def test_record_upload_warnings_are_their_own_incidents(history):
    events = [
        connector_event(1, 1),
        connector_event(2, 2, outcome="warning"),
        connector_event(3, 3, outcome="success", code=None),
        connector_event(4, 4, outcome="retry"),
        connector_event(5, 5, outcome="info", code=None),
        connector_event(6, 6, outcome="noise", code=None),
    ]

    result = history.record_upload(upload(), events)

    assert sorted(c.incident.kind for c in result.incidents) == ["failure", "warning"]
    assert result.new_events == 5  # noise is not a connector event: not stored


def test_record_upload_names_incidents_from_the_catalogue(history):
    entry = SimpleNamespace(name="PKCS certificate request failed")  # only .name is read
    named = replace(connector_event(2, 2), entry=entry)

    history.record_upload(upload("a"), [connector_event(1, 1)])
    assert history.incidents()[0].name is None
    history.record_upload(upload("b"), [named])

    assert history.incidents()[0].name == "PKCS certificate request failed"


def test_record_upload_keeps_upload_details(history, db_path):
    info = upload(
        source="slack",
        user="U123",
        channel="C456",
        thread_ts="1700000000.000100",
        file_id="F789",
        records=42,
        problems=[Problem("chunk 3", "bad checksum"), {"where": "line 9", "reason": "cut"}],
    )
    history.record_upload(info, failures(range(1, 3)))

    row = Database(db_path)["uploads"].get(1)
    assert row["source"] == "slack"
    assert (row["user"], row["channel"], row["file_id"]) == ("U123", "C456", "F789")
    assert (row["records"], row["connector_events"], row["new_events"]) == (42, 2, 2)
    assert json.loads(row["problems"]) == [
        {"where": "chunk 3", "reason": "bad checksum"},
        {"where": "line 9", "reason": "cut"},
    ]


def test_upload_info_from_file_hashes_the_file(tmp_path):
    path = tmp_path / "App.evtx"
    path.write_bytes(b"ElfFile\x00" * 1000)

    info = UploadInfo.from_file(path, "evtx", source="cli", user="alice")

    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (info.file_name, info.size, info.user) == ("App.evtx", 8000, "alice")


def test_history_stores_no_secrets(history, db_path, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-secret")
    history.record_upload(upload(source="slack", user="U1", channel="C1"), failures(range(3)))
    history.close()

    columns = {column for table in Database(db_path).tables for column in table.columns_dict}
    assert not any("token" in c or "secret" in c for c in columns)
    for name in (db_path, Path(f"{db_path}-wal")):
        if name.exists():
            assert b"xox" not in name.read_bytes()


# -- people ------------------------------------------------------------------------------


def test_resolve_twice_keeps_first_resolution(history):
    [change] = history.record_upload(upload(), failures(range(1, 3))).incidents
    incident_id = change.incident.id

    assert history.resolve(incident_id, "U1", "renewed the RA cert", thread=("C1", "1.1"))
    assert not history.resolve(incident_id, "U2", "something else")

    incident = history.incident(incident_id)
    assert (incident.status, incident.resolved_by, incident.note) == (
        "resolved",
        "U1",
        "renewed the RA cert",
    )
    assert (incident.channel, incident.thread_ts) == ("C1", "1.1")


def test_resolve_unknown_incident_raises(history):
    with pytest.raises(HistoryError, match="no incident 99"):
        history.resolve(99, "U1", "nope")


def test_set_thread_attaches_slack_thread(history):
    [change] = history.record_upload(upload(), failures(range(1, 2))).incidents

    history.set_thread(change.incident.id, "C42", "1700000000.123456")

    assert history.incident(change.incident.id).thread_ts == "1700000000.123456"


def test_prune_removes_old_events_keeps_incidents(history, db_path):
    history.record_upload(upload("old"), failures(range(1, 4)))
    history.record_upload(upload("new"), failures(range(1, 3), every_hours=24 * 200))
    before = spans(history)

    deleted = history.prune(timedelta(days=180), now=T0 + timedelta(days=365))

    assert deleted == 3  # the "old" records; days 200 and 400 are within 180 days
    assert counts(db_path)["events"] == 2
    assert spans(history) == before
    # An old export read again cannot count the pruned records a second time.
    again = history.record_upload(upload("old copy"), failures(range(1, 4)))
    assert (again.new_events, again.too_old, again.incidents) == (0, 3, ())
    assert spans(history) == before


# -- questions ---------------------------------------------------------------------------


def test_servers_lists_open_incidents_and_last_upload(history):
    when = datetime(2026, 11, 20, 9, tzinfo=UTC)
    history.record_upload(upload("a", uploaded_at=when), failures(range(1, 3)))
    history.record_upload(upload("b", uploaded_at=when), failures(range(40, 42)))
    history.record_upload(
        upload("c", uploaded_at=when + timedelta(days=1)),
        failures(range(1, 2), server="NDES02"),
    )
    history.resolve(history.incidents(server=SERVER)[0].id, "U1", "ok")

    servers = {s.name: s for s in history.servers()}

    assert (servers[SERVER].open_incidents, servers[SERVER].incidents) == (1, 2)
    assert servers[SERVER].last_upload == when
    assert servers["NDES02"].last_upload == when + timedelta(days=1)


def test_incidents_filters_and_order(history):
    history.record_upload(upload("a"), failures(range(1, 3)) + failures(range(50, 52)))
    history.record_upload(upload("b"), failures(range(1, 2), event_id=20501, code=None))
    history.record_upload(upload("c"), failures(range(1, 2), server="NDES02"))
    newest = history.incidents(server="NDES01")[0]
    history.resolve(newest.id, "U1", "done")

    assert [i.last for i in history.incidents(server="ndes01")] == sorted(
        (i.last for i in history.incidents(server="ndes01")), reverse=True
    )
    assert len(history.incidents(server="NDES01")) == 3  # short name finds the FQDN
    assert len(history.incidents(server=SERVER)) == 3
    assert [i.id for i in history.incidents(status="resolved")] == [newest.id]
    assert [i.event_id for i in history.incidents(event_id=20501)] == [20501]
    assert len(history.incidents(since=T0 + timedelta(hours=10))) == 1
    assert len(history.incidents(limit=2)) == 2


def test_incidents_short_name_is_not_a_pattern(history):
    history.record_upload(upload("a"), failures(range(1, 2), server="NDES_1.contoso.com"))
    history.record_upload(upload("b"), failures(range(1, 2), server="NDESX1.contoso.com"))

    assert [i.server for i in history.incidents(server="NDES_1")] == ["NDES_1.contoso.com"]
    assert history.incidents(server="NDES%") == []


def test_similar_puts_resolved_incidents_with_notes_first(history):
    history.record_upload(upload("a"), failures(range(1, 3), server="NDES02"))
    history.record_upload(upload("b"), failures(range(1, 3), server="NDES03"))
    history.record_upload(upload("c"), failures(range(1, 3)))
    fixed = history.incidents(server="NDES02")[0]
    history.resolve(fixed.id, "U1", "started the CertSvc service")

    similar = history.similar(event_id=CA_DOWN[0], exclude_server="NDES01")

    assert [i.server for i in similar] == ["NDES02", "NDES03"]
    assert similar[0].note == "started the CertSvc service"
    assert [i.server for i in history.similar(code=CA_DOWN[1])][0] == "NDES02"
    assert history.similar() == []


def test_recent_counts_one_failure_on_one_server(history):
    for n, day in enumerate((1, 5, 20)):
        hours = day * 24
        history.record_upload(
            upload(f"day{day}"), [connector_event(n * 10 + k, hours + k) for k in range(3)]
        )
    history.record_upload(upload("other"), failures(range(1, 3), code="0x00000410"))
    first = [i for i in history.incidents(server=SERVER) if i.code == CA_DOWN[1]][-1]
    history.resolve(first.id, "U7", "restarted IIS", at=T0 + timedelta(days=2))

    recent = history.recent("NDES01", *CA_DOWN, days=30, now=T0 + timedelta(days=25))

    assert (recent.incidents, recent.events) == (3, 9)
    assert recent.last == T0 + timedelta(days=20, hours=2)
    assert recent.last_resolution is not None
    assert (recent.last_resolution.note, recent.last_resolution.resolved_by) == (
        "restarted IIS",
        "U7",
    )
    assert history.recent("NDES01", *CA_DOWN, days=10, now=T0 + timedelta(days=25)).events == 3


def test_results_are_plain_json(history):
    [change] = history.record_upload(upload(), failures(range(1, 3))).incidents
    history.resolve(change.incident.id, "U1", "fixed", at=T0 + timedelta(hours=5))
    result = history.record_upload(upload("b"), failures(range(40, 41)))

    text = json.dumps(
        [
            result.to_dict(),
            [s.to_dict() for s in history.servers()],
            history.recent("NDES01", *CA_DOWN, now=T0).to_dict(),
        ]
    )

    assert '"change": "reopened"' in text and '"last_resolution": {' in text


@settings(max_examples=50, deadline=None)
@given(server=st.text(min_size=1, max_size=40), note=st.text(max_size=300))
def test_history_text_round_trips(server, note):
    """Whatever a log or a person writes comes back unchanged (no escaping in the store)."""
    history = History(Database(memory=True))
    [change] = history.record_upload(upload(), [connector_event(1, 1, server=server)]).incidents
    history.resolve(change.incident.id, "U1", note)

    incident = history.incident(change.incident.id)
    assert (incident.server, incident.note) == (server, note)


# -- the file itself -----------------------------------------------------------------------

V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE servers (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL);
CREATE TABLE uploads (id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE,
    file_name TEXT NOT NULL, size INTEGER NOT NULL, format TEXT NOT NULL,
    source TEXT NOT NULL, user TEXT, channel TEXT, thread_ts TEXT, file_id TEXT,
    uploaded_at TEXT NOT NULL, records INTEGER NOT NULL, connector_events INTEGER NOT NULL,
    new_events INTEGER NOT NULL, problems TEXT NOT NULL DEFAULT '[]');
CREATE TABLE upload_servers (upload_id INTEGER NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
    server_id INTEGER NOT NULL REFERENCES servers(id), events INTEGER NOT NULL,
    PRIMARY KEY (upload_id, server_id)) WITHOUT ROWID;
CREATE INDEX upload_servers_server ON upload_servers(server_id, upload_id);
CREATE TABLE logs (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE events (id INTEGER PRIMARY KEY, server_id INTEGER NOT NULL REFERENCES servers(id),
    upload_id INTEGER NOT NULL REFERENCES uploads(id),
    log_id INTEGER NOT NULL REFERENCES logs(id),
    record_key TEXT NOT NULL, time TEXT NOT NULL, event_id INTEGER NOT NULL,
    outcome TEXT NOT NULL, code TEXT, device TEXT, user TEXT, ca TEXT, template TEXT);
CREATE UNIQUE INDEX events_record ON events(server_id, log_id, record_key, time, event_id);
CREATE INDEX events_failure ON events(server_id, event_id, code, time);
CREATE INDEX events_time ON events(time);
CREATE TABLE incidents (id INTEGER PRIMARY KEY, server_id INTEGER NOT NULL REFERENCES servers(id),
    event_id INTEGER NOT NULL, code TEXT, first TEXT NOT NULL, last TEXT NOT NULL,
    count INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolved_by TEXT, resolved_at TEXT, note TEXT, channel TEXT, thread_ts TEXT,
    previous_id INTEGER REFERENCES incidents(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL);
CREATE INDEX incidents_key ON incidents(server_id, event_id, code, first);
CREATE INDEX incidents_server_last ON incidents(server_id, last);
CREATE INDEX incidents_last ON incidents(last);
CREATE INDEX incidents_event ON incidents(event_id, status, last);
CREATE INDEX incidents_code ON incidents(code, status, last);
INSERT INTO servers VALUES (1, 'NDES01.contoso.com',
    '2026-11-02T09:00:00.000000Z', '2026-11-02T10:00:00.000000Z');
INSERT INTO uploads VALUES (1, 'abc', 'old.evtx', 10, 'evtx', 'cli', 'alice', NULL, NULL, NULL,
    '2026-11-03T00:00:00.000000Z', 2, 2, 2, '[]');
INSERT INTO upload_servers VALUES (1, 1, 2);
INSERT INTO logs VALUES (1, 'Microsoft-Intune-CertificateConnectors/Operational');
INSERT INTO events VALUES
    (1, 1, 1, 1, '1', '2026-11-02T09:00:00.000000Z', 20502, 'failure',
     '0x800706BA', NULL, NULL, NULL, NULL),
    (2, 1, 1, 1, '2', '2026-11-02T10:00:00.000000Z', 20502, 'failure',
     '0x800706BA', NULL, NULL, NULL, NULL);
INSERT INTO incidents VALUES (1, 1, 20502, '0x800706BA', '2026-11-02T09:00:00.000000Z',
    '2026-11-02T10:00:00.000000Z', 2, 'resolved', 'alice', '2026-11-03T00:00:00.000000Z',
    'restarted CertSvc', NULL, NULL, NULL, '2026-11-03T00:00:00.000000Z');
PRAGMA user_version = 1;
"""


def test_open_history_migrates_version_1_without_loss(db_path):
    conn = sqlite3.connect(db_path)
    conn.executescript(V1_SCHEMA)
    conn.close()

    with open_history(db_path) as h:
        [incident] = h.incidents()
        assert (incident.kind, incident.note, incident.count) == (
            "failure",
            "restarted CertSvc",
            2,
        )
        assert h.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        # The old store keeps working: its events still dedupe, its incident reopens.
        [change] = h.record_upload(
            upload("new"),
            [connector_event(1, 1, event_id=20502, code="0x800706BA", device=None)]
            + [connector_event(5, 48)],
        ).incidents
        assert (change.change, change.incident.previous_id) == ("reopened", 1)


def test_open_history_refuses_newer_schema(db_path):
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE future (x)")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = db_path.read_bytes()

    with pytest.raises(HistoryError, match="newer intune-triage") as err:
        open_history(db_path)

    assert "\n" not in str(err.value)
    assert db_path.read_bytes() == before
    assert not Path(f"{db_path}-wal").exists()


def test_open_history_refuses_file_that_is_not_sqlite(db_path):
    db_path.write_bytes(b"EVTX? no, just a text file people named history.db\n" * 100)
    before = db_path.read_bytes()

    with pytest.raises(HistoryError, match="not a SQLite database"):
        open_history(db_path)

    assert db_path.read_bytes() == before


def test_open_history_refuses_another_applications_database(db_path):
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    conn.close()
    before = db_path.read_bytes()

    with pytest.raises(HistoryError, match="another application"):
        open_history(db_path)

    assert db_path.read_bytes() == before


@pytest.fixture
def read_only(db_path: Path):
    """The history file, made read-only: by mode bits, or (root ignores those) immutable."""
    open_history(db_path).close()
    if os.geteuid() != 0:
        db_path.chmod(0o444)
        yield db_path
        db_path.chmod(0o644)
        return
    if subprocess.run(["chattr", "+i", str(db_path)], capture_output=True).returncode:
        pytest.skip("running as root on a file system without chattr +i")
    try:
        yield db_path
    finally:
        subprocess.run(["chattr", "-i", str(db_path)], check=True)


def test_open_history_refuses_read_only_database(read_only):
    before = read_only.read_bytes()

    with pytest.raises(HistoryError, match="read-only"):
        open_history(read_only)

    assert read_only.read_bytes() == before


def test_open_history_refuses_a_folder(tmp_path):
    with pytest.raises(HistoryError, match="is a folder"):
        open_history(tmp_path)


def test_set_thread_while_another_process_writes_too_long_is_one_line(history, db_path):
    [change] = history.record_upload(upload(), failures(range(1, 2))).incidents
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        impatient = open_history(db_path, busy_timeout=0.2)
        with impatient, pytest.raises(HistoryError, match="busy") as err:
            impatient.set_thread(change.incident.id, "C1", "1.1")
    finally:
        holder.kill()
        holder.communicate()  # reaps it and closes its pipe
    assert "\n" not in str(err.value)
    assert history.incident(change.incident.id).thread_ts is None


HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(30)
"""


def test_open_history_default_path_is_created_from_env(tmp_path, monkeypatch):
    target = tmp_path / "a" / "b" / "history.db"
    monkeypatch.setenv("INTUNE_BOT_DB", str(target))

    assert default_path() == target
    open_history().close()

    assert target.exists()


def test_open_history_default_path_is_per_user(monkeypatch, tmp_path):
    monkeypatch.delenv("INTUNE_BOT_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert default_path() == tmp_path / "intune-triage" / "history.db"
    assert default_path().name == "history.db"


def test_open_history_uses_wal_and_foreign_keys(history):
    assert history.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert history.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


# -- real processes ----------------------------------------------------------------------

WORKER = """
import sys, time
from datetime import UTC, datetime, timedelta
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_history import connector_event, upload
from bot.history import open_history

db, name, start, stop, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
events = [connector_event(r, r / 60) for r in range(start, stop)]
history = open_history(db)  # uploads wait for each other (UPLOAD_WAIT)
print("ready", flush=True)
while not Path(go).exists():
    time.sleep(0.005)
result = history.record_upload(upload(name), events)
print(result.new_events, flush=True)
"""


def test_record_upload_from_two_processes_at_once(tmp_path, db_path):
    open_history(db_path).close()
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(tests=str(REPO / "tests")))
    go = tmp_path / "go"
    # Two overlapping exports: records 0..29999 and 20000..49999.
    workers = [
        subprocess.Popen(
            [sys.executable, str(script), str(db_path), name, str(a), str(b), str(go)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, a, b in (("monday", 0, 30_000), ("tuesday", 20_000, 50_000))
    ]
    for w in workers:
        assert w.stdout is not None
        assert w.stdout.readline().strip() == "ready"
    go.touch()
    outputs = [w.communicate(timeout=120) for w in workers]

    assert [w.returncode for w in workers] == [0, 0], [err for _, err in outputs]
    new = sorted(int(out.strip()) for out, _ in outputs)
    assert new == [20_000, 30_000]  # whichever went second found 10 000 already stored
    assert counts(db_path)["events"] == 50_000
    with open_history(db_path) as h:
        [incident] = h.incidents()
        assert incident.count == 50_000


OPENER = """
import sys, time
from pathlib import Path
from bot.history import open_history

go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
open_history(sys.argv[1]).close()
"""


def test_open_history_fresh_file_from_several_processes_at_once(tmp_path, db_path):
    """Each creates the schema if missing: they must not trip over one another."""
    go = tmp_path / "go"
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, str(db_path), str(go)],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    time.sleep(0.5)  # let them all start and wait
    go.touch()
    errors = [p.communicate(timeout=60)[1] for p in openers]

    assert [p.returncode for p in openers] == [0] * 4, errors
    with open_history(db_path) as h:
        assert h.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


KILLED = """
import os, sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_history import connector_event, upload
from bot.history import open_history

db, marker = sys.argv[1], Path(sys.argv[2])
history = open_history(db)
inserted = 0

def stall(sql):
    # Deep inside the upload's transaction: say so, then wait to be killed.
    global inserted
    if sql.startswith("INSERT OR IGNORE INTO events"):
        inserted += 1
        if inserted == 5000:
            marker.touch()
            time.sleep(60)

history.conn.set_trace_callback(stall)
history.record_upload(upload("big"), [connector_event(r, r / 60) for r in range(20_000)])
"""


def test_record_upload_killed_mid_transaction_leaves_no_half_upload(tmp_path, db_path):
    open_history(db_path).close()
    script = tmp_path / "killed.py"
    script.write_text(KILLED.format(tests=str(REPO / "tests")))
    marker = tmp_path / "in-transaction"
    proc = subprocess.Popen([sys.executable, str(script), str(db_path), str(marker)], cwd=REPO)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, "the worker ended before the kill"
        assert time.monotonic() < deadline
        time.sleep(0.01)

    proc.send_signal(signal.SIGKILL)
    proc.wait()

    assert proc.returncode == -signal.SIGKILL
    assert counts(db_path) == dict.fromkeys(counts(db_path), 0)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with open_history(db_path) as h:
        result = h.record_upload(upload("big"), failures(range(3)))
        assert (result.already_recorded, result.new_events) == (False, 3)


BIG = """
import sys
sys.path.insert(0, {tests!r})
from test_history import connector_event, upload
from bot.history import open_history

events = [connector_event(r, r / 600) for r in range(150_000)]
open_history(sys.argv[1]).record_upload(upload("big"), events)
print("committed", flush=True)
"""


def test_record_upload_killed_while_writing_a_large_file_leaves_no_half_upload(tmp_path, db_path):
    """No pause this time: kill once the transaction has written megabytes to the WAL."""
    open_history(db_path).close()
    script = tmp_path / "big.py"
    script.write_text(BIG.format(tests=str(REPO / "tests")))
    wal = Path(f"{db_path}-wal")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(db_path)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while not (wal.exists() and wal.stat().st_size > 2_000_000):
        assert proc.poll() is None, "the upload finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.002)

    proc.kill()
    out, _ = proc.communicate()

    assert "committed" not in out
    assert counts(db_path) == dict.fromkeys(counts(db_path), 0)
