"""Incident spans: one incident per failure kind until resolved, in any file order."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from bot.history import History
from bot.summary_file import summarize_file
from tests.support.connector_logs import LogBuilder
from tests.support.history import (
    T0,
    connector_event,
    failures,
    spans,
    upload,
)

FIXABLE = SimpleNamespace(name="RetrieveCertificate_Warning", fixes=("re-enroll",))


def test_record_upload_a_pause_does_not_split_an_incident(history):
    events = [connector_event(1, 0), connector_event(2, 23), connector_event(3, 48)]
    later = [connector_event(4, 24 * 14)]  # two weeks later, still not resolved

    result = history.record_upload(upload(), events)
    again = history.record_upload(upload("b"), later)

    assert [(c.change, c.incident.count) for c in result.incidents] == [("new", 3)]
    assert [(c.change, c.incident.count) for c in again.incidents] == [("ongoing", 4)]
    assert len(history.incidents()) == 1


def test_record_upload_real_log_pausing_for_a_day_opens_one_incident_per_failure_kind(
    history, tmp_path
):
    """Six failure kinds, each failing in the morning, quiet for 30 hours, failing again."""
    b = LogBuilder(seed=14)
    kinds = [(10102, "0x0FFFFFFF"), (10302, "0x00000403"), (20102, "0x00000400"),
             (20202, "0x00000402"), (20302, "0x0FFFFFFF"), (20502, "0x00000410")]  # fmt: skip
    for event_id, code in kinds:
        for hours in (1, 2, 3, 33, 34):
            b.legacy(event_id, T0 + timedelta(hours=hours), "NDES01.contoso.com", code,
                     device=b.guid())  # fmt: skip
    b.write(tmp_path / "paused.evtx")
    summary = summarize_file(tmp_path / "paused.evtx", keep_events=True)

    result = history.record_upload(upload("paused.evtx"), summary.events)

    assert len(result.incidents) == len(kinds)
    assert {(c.incident.event_id, c.incident.count) for c in result.incidents} == {
        (event_id, 5) for event_id, _ in kinds
    }
    assert [s.open_incidents for s in history.servers()] == [6]


def test_record_upload_after_resolve_recurs(history):
    [old] = history.record_upload(upload("a"), failures(range(1, 3))).incidents
    assert history.resolve(old.incident.id, "U1", "restarted the CA", at=T0 + timedelta(hours=5))

    result = history.record_upload(upload("b"), failures(range(6, 8)))
    more = history.record_upload(upload("c"), failures(range(60, 62)))

    [change] = result.incidents
    assert change.change == "recurred"
    assert change.incident.previous_id == old.incident.id
    assert change.incident.status == "open"
    assert history.incident(old.incident.id).count == 2
    assert [(c.change, c.incident.id) for c in more.incidents] == [("ongoing", change.incident.id)]


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


def test_record_upload_old_export_read_after_a_recurrence_joins_the_resolved_incident(history):
    [first] = history.record_upload(upload("a"), [connector_event(1, 0)]).incidents
    history.resolve(first.incident.id, "U9", "renewed the cert", at=T0 + timedelta(hours=10))
    [recurred] = history.record_upload(upload("b"), [connector_event(3, 40)]).incidents

    result = history.record_upload(upload("c"), [connector_event(2, 5), connector_event(4, 41)])

    assert recurred.change == "recurred"
    by_id = {c.incident.id: (c.change, c.added, c.incident.count) for c in result.incidents}
    assert by_id == {first.incident.id: ("ongoing", 1, 2), recurred.incident.id: ("ongoing", 1, 2)}
    assert history.incident(first.incident.id).note == "renewed the cert"


def test_record_upload_older_file_after_newer_keeps_spans(history):
    """Tuesday's export read before Monday's gives the incidents reading them in order gives."""
    monday = failures(range(0, 20, 4))  # hours 0..16
    tuesday = failures(range(60, 70))  # hours 60..69: 44 h after Monday, the same incident

    history.record_upload(upload("tuesday"), tuesday)
    history.record_upload(upload("monday"), monday)
    in_order = History(Database(memory=True))
    for name, events in (("monday", monday), ("tuesday", tuesday)):
        in_order.record_upload(upload(name), events)

    assert spans(history) == spans(in_order)
    assert [s[-1] for s in spans(history)] == [15]


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
        (replace(connector_event(i, hour, code=code, outcome=outcome), entry=FIXABLE), files)
        for i, (hour, (outcome, code), files) in enumerate(records)
    ]
    one_file = History(Database(memory=True))
    one_file.record_upload(upload("all"), [e for e, _ in events])
    split = History(Database(memory=True))
    for part in order:
        split.record_upload(upload(f"part{part}"), [e for e, files in events if part in files])

    assert spans(split) == spans(one_file)


def test_record_upload_fixable_warnings_are_their_own_incidents(history):
    events = [
        connector_event(1, 1),
        replace(connector_event(2, 2, outcome="warning"), entry=FIXABLE),
        connector_event(3, 3, outcome="success", code=None),
        connector_event(4, 4, outcome="retry"),
        connector_event(5, 5, outcome="info", code=None),
        connector_event(6, 6, outcome="noise", code=None),
    ]

    result = history.record_upload(upload(), events)

    assert sorted(c.incident.kind for c in result.incidents) == ["failure", "warning"]
    assert result.new_events == 5  # noise is not a connector event: not stored


def test_record_upload_self_healing_warnings_are_counted_without_an_incident(history):
    """A warning the catalogue gives nothing to fix (or does not know) heals by itself."""
    healing = SimpleNamespace(name="RetryingUpload_Warning", fixes=())
    events = [
        replace(connector_event(1, 1, event_id=1050, code=None, outcome="warning"), entry=healing),
        replace(connector_event(2, 2, event_id=1050, code=None, outcome="warning"), entry=healing),
        connector_event(3, 3, event_id=1051, code=None, outcome="warning"),  # not catalogued
    ]

    result = history.record_upload(upload(), events)

    assert result.incidents == ()
    assert history.incidents() == []
    counted = {(h.event_id, h.name, h.count) for h in result.self_healing}
    assert counted == {(1050, "RetryingUpload_Warning", 2), (1051, None, 1)}
    assert result.to_dict()["self_healing"][0]["event_id"] == "1050"
    assert history.recent("NDES01", 1050, None, now=T0).events == 2  # the events are stored
