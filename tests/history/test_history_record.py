"""The incident history, on real SQLite files: recording, people's verbs, questions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from bot.history import (
    History,
    HistoryError,
    NoServer,
    UploadInfo,
)
from bot.logs import Problem
from tests.support.history import (
    CA_DOWN,
    SERVER,
    T0,
    connector_event,
    counts,
    failures,
    spans,
    upload,
)

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


def test_record_upload_events_without_a_computer_need_a_server(history):
    """A CSV export without the Computer column: never recorded under an empty server."""
    nameless = [connector_event(None, h, server="", message=f"row {h}") for h in (1, 2)]

    with pytest.raises(NoServer, match="2 connector events name no computer"):
        history.record_upload(upload("export.csv"), nameless)
    assert history.servers() == []
    result = history.record_upload(upload("export.csv"), [*nameless, connector_event(9, 3)],
                                   server="NDES03")  # fmt: skip

    assert sorted(result.servers) == [SERVER, "NDES03"]  # a named computer keeps its name
    assert {c.incident.server: c.incident.count for c in result.incidents} == {
        "NDES03": 2,
        SERVER: 1,
    }


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
    history.resolve(history.incidents(server=SERVER)[0].id, "U1", "ok", at=T0 + timedelta(hours=5))
    history.record_upload(upload("b", uploaded_at=when), failures(range(40, 42)))  # recurred
    history.record_upload(
        upload("c", uploaded_at=when + timedelta(days=1)),
        failures(range(1, 2), server="NDES02"),
    )

    servers = {s.name: s for s in history.servers()}

    assert (servers[SERVER].open_incidents, servers[SERVER].incidents) == (1, 2)
    assert servers[SERVER].last_upload == when
    assert servers["NDES02"].last_upload == when + timedelta(days=1)


def test_incidents_filters_and_order(history):
    other_code = failures(range(50, 52), code="0x80094800")
    history.record_upload(upload("a"), failures(range(1, 3)) + other_code)
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
    fixes = {1: ("U3", "renewed the RA certificate"), 5: ("U7", "restarted IIS")}
    for n, day in enumerate((1, 5, 20)):
        hours = day * 24
        history.record_upload(
            upload(f"day{day}"), [connector_event(n * 10 + k, hours + k) for k in range(3)]
        )
        if day in fixes:  # resolved the next day: the next upload is a recurrence
            [latest] = history.incidents(server=SERVER, status="open")
            history.resolve(latest.id, *fixes[day], at=T0 + timedelta(days=day + 1))
    history.record_upload(upload("other"), failures(range(1, 3), code="0x00000410"))

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

    assert '"change": "recurred"' in text
    assert '"last_resolution": {' in text


@settings(max_examples=50, deadline=None)
@given(server=st.text(min_size=1, max_size=40).filter(str.strip), note=st.text(max_size=300))
def test_history_text_round_trips(server, note):
    """Whatever a log or a person writes comes back unchanged (no escaping in the store)."""
    history = History(Database(memory=True))
    [change] = history.record_upload(upload(), [connector_event(1, 1, server=server)]).incidents
    history.resolve(change.incident.id, "U1", note)

    incident = history.incident(change.incident.id)
    assert (incident.server, incident.note) == (server, note)
