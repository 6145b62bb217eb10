"""Incident spans: which occurrences of one failure make one incident, in any file order."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from bot.history import (
    History,
    open_history,
)
from tests.support.history import (
    T0,
    connector_event,
    failures,
    spans,
    upload,
)


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
