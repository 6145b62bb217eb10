"""History scoped to channels: what a log shared in a channel taught is seen by that channel.

Every query takes `visible` (the Slack channels whose history may be shown, None: all).
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from bot.history import HistoryError, open_history
from tests.support.history import T0, connector_event, failures, upload

PUBLIC, PRIVATE = "C0PUBLIC", "G0PRIVATE"
SECRET_SERVER = "NDES-HR.contoso.com"


def shared(name: str, channel: str | None, **kw: object):
    source = "slack" if channel else "cli"
    return upload(
        name, source=source, channel=channel, user="U1", thread_ts="1.1" if channel else None, **kw
    )


@pytest.fixture
def two_channels(history):
    """NDES01 failing in a public channel, a private server in a private channel, and the
    same CA outage on NDES01 also seen (later records) from the private channel."""
    history.record_upload(shared("ndes01.evtx", PUBLIC), failures(range(1, 4)))
    history.record_upload(
        shared("hr-secret-server.evtx", PRIVATE),
        [
            connector_event(r, r, server=SECRET_SERVER, event_id=10301, code="0x00000403")
            for r in (1, 2)
        ],
    )
    history.record_upload(shared("ndes01-more.evtx", PRIVATE), failures(range(4, 6)))
    return history


def test_servers_are_those_a_visible_log_named(two_channels):
    everything = {s.name for s in two_channels.servers()}
    assert everything == {"NDES01.contoso.com", SECRET_SERVER}
    assert {s.name for s in two_channels.servers(visible={PUBLIC})} == {"NDES01.contoso.com"}
    assert {
        s.name for s in two_channels.servers(visible={PUBLIC, PRIVATE, "C0OTHER"})
    } == everything
    assert two_channels.servers(visible=set()) == []
    assert two_channels.servers(visible={"C0OTHER"}) == []


def test_a_servers_last_event_is_what_visible_logs_showed(two_channels):
    (public,) = two_channels.servers(visible={PUBLIC})
    (whole,) = [s for s in two_channels.servers() if s.name == public.name]
    assert public.last_seen == T0 + timedelta(hours=3)  # records 1-3 were shared in public
    assert whole.last_seen == T0 + timedelta(hours=5)  # 4-5 came from the private channel
    assert (public.open_incidents, public.incidents) == (1, 1)


def test_incidents_learned_in_a_channel_are_seen_from_it(two_channels):
    public = two_channels.incidents(visible={PUBLIC})
    assert [(i.server, i.event_id) for i in public] == [("NDES01.contoso.com", 20502)]
    assert public[0].count == 5  # one incident, fed from both channels, shown whole
    private = two_channels.incidents(visible={PRIVATE})
    assert {i.server for i in private} == {"NDES01.contoso.com", SECRET_SERVER}
    assert two_channels.incidents(server=SECRET_SERVER, visible={PUBLIC}) == []
    assert len(two_channels.incidents()) == 2
    assert two_channels.activity(T0, visible={PUBLIC}) == public
    assert two_channels.similar(10301, "0x00000403", visible={PUBLIC}) == []
    assert len(two_channels.similar(10301, "0x00000403", visible={PRIVATE})) == 1
    secret = two_channels.incidents(server=SECRET_SERVER)[0]
    with pytest.raises(HistoryError):
        two_channels.incident(secret.id, visible={PUBLIC})
    assert two_channels.incident(secret.id, visible={PRIVATE}) == secret
    two_channels.set_thread(secret.id, PRIVATE, "1.1")
    assert two_channels.incidents_in_thread(PRIVATE, "1.1", visible={PUBLIC}) == []
    assert two_channels.incidents_in_thread(PRIVATE, "1.1", visible={PRIVATE})[0].id == secret.id


def test_last_uploads_and_recent_counts_keep_to_visible_logs(two_channels):
    public = two_channels.last_uploads(visible={PUBLIC})
    assert set(public) == {"NDES01.contoso.com"}
    assert public["NDES01.contoso.com"]["file_name"] == "ndes01.evtx"
    assert two_channels.last_uploads()["NDES01.contoso.com"]["file_name"] == "ndes01-more.evtx"
    now = T0 + timedelta(days=1)
    assert two_channels.recent("NDES01", 20502, "0x800706BA", now=now, visible={PUBLIC}).events == 3
    assert two_channels.recent("NDES01", 20502, "0x800706BA", now=now).events == 5
    hidden = two_channels.recent(SECRET_SERVER, 10301, "0x00000403", now=now, visible={PUBLIC})
    assert (hidden.incidents, hidden.events, hidden.last) == (0, 0, None)


def test_resolution_notes_of_a_private_incident_stay_private(two_channels):
    secret = two_channels.incidents(server=SECRET_SERVER)[0]
    two_channels.resolve(secret.id, "U9", "rotated the HR CA key", (PRIVATE, "1.1"))
    now = T0 + timedelta(days=1)
    seen = two_channels.recent(SECRET_SERVER, 10301, "0x00000403", now=now, visible={PRIVATE})
    assert seen.last_resolution is not None
    assert seen.last_resolution.note == "rotated the HR CA key"
    unseen = two_channels.recent(SECRET_SERVER, 10301, "0x00000403", now=now, visible={PUBLIC})
    assert unseen.last_resolution is None


def test_cli_uploads_are_seen_only_without_a_scope(history):
    """A log recorded on the operator's machine came from no channel: nobody in Slack
    is known to have seen it, so it shows only in the CLI (or with shared history)."""
    history.record_upload(shared("local.evtx", None), failures(range(1, 3)))
    assert len(history.incidents()) == 1
    assert len(history.servers()) == 1
    assert history.incidents(visible={PUBLIC}) == []
    assert history.servers(visible={PUBLIC}) == []
    assert history.last_uploads(visible={PUBLIC}) == {}


def test_a_file_shared_again_elsewhere_does_not_widen_who_sees_it(two_channels):
    """The same file (SHA-256) in another channel teaches nothing new: its summary there
    shows what the file holds, the history stays with the channels it was learned in."""
    again = two_channels.record_upload(shared("hr-secret-server.evtx", PUBLIC), [])
    assert again.already_recorded
    assert two_channels.servers(visible={PUBLIC})[0].name == "NDES01.contoso.com"
    assert len(two_channels.servers(visible={PUBLIC})) == 1


def test_many_visible_channels_cost_no_more_than_the_known_ones(two_channels):
    """A person in 50,000 channels: the query is limited to the channels the history knows."""
    many = {f"C{n:08d}" for n in range(50_000)} | {PRIVATE}
    assert {s.name for s in two_channels.servers(visible=many)} == {
        "NDES01.contoso.com",
        SECRET_SERVER,
    }
    assert len(two_channels.incidents(visible=many)) == 2


V2_FILE = Path(__file__).parent / "data" / "v2-split-incidents.db"


def test_an_older_file_learns_its_channels_from_its_uploads_and_threads(tmp_path):
    """The real schema-2 file (data/PROVENANCE.md): its first upload was shared in C1,
    one incident was later discussed in a thread of C2, the rest came from the CLI."""
    path = tmp_path / "old.db"
    shutil.copy(V2_FILE, path)
    with open_history(path) as h:
        c1 = h.incidents(visible={"C1"}, limit=100)
        c2 = h.incidents(visible={"C2"}, limit=100)
        everything = h.incidents(limit=100)
        c1_servers = h.servers(visible={"C1"})
    assert {(i.server, i.event_id, i.code) for i in c1} == {
        ("NDES01.contoso.com", 20502, "0x800706BA"),  # the week's CA outage, shared in C1
    }
    assert [i.id for i in c2]
    assert all(i.channel == "C2" for i in c2)
    assert not {i.id for i in c1} & {i.id for i in c2}
    shown = {i.id for i in c1} | {i.id for i in c2}
    assert len(everything) > len(shown)  # the CLI's incidents: seen only without a scope
    assert [s.name for s in c1_servers] == ["NDES01.contoso.com"]
    assert c1_servers[0].last_seen == T0 + timedelta(hours=96)  # record 6 of the C1 upload


def test_a_note_written_in_a_private_channel_stays_there_on_a_shared_incident(two_channels):
    """NDES01's outage was learned in both channels; it was resolved from the private one:
    the public channel sees that it was resolved, and when, but not who or how."""
    (shared_incident,) = two_channels.incidents(server="NDES01")
    two_channels.resolve(shared_incident.id, "U9", "HR CA key rotated", (PRIVATE, "1.1"))
    (public,) = two_channels.incidents(server="NDES01", visible={PUBLIC})
    assert (public.status, public.resolved_by, public.note) == ("resolved", None, None)
    assert public.resolved_at is not None
    assert [(r.by, r.note) for r in public.resolutions] == [(None, None)]
    (private,) = two_channels.incidents(server="NDES01", visible={PRIVATE})
    assert (private.resolved_by, private.note) == ("U9", "HR CA key rotated")
    assert two_channels.incidents(server="NDES01")[0].note == "HR CA key rotated"  # the CLI
    now = T0 + timedelta(days=1)
    recent = two_channels.recent("NDES01", 20502, "0x800706BA", now=now, visible={PUBLIC})
    assert recent.last_resolution is not None
    assert recent.last_resolution.note is None


def test_a_resolution_from_no_channel_shows_wherever_its_incident_does(two_channels):
    """The CLI, or an older release, resolved it: no channel to keep it in."""
    (incident,) = two_channels.incidents(server="NDES01")
    two_channels.resolve(incident.id, "operator", "patched NDES01")
    (public,) = two_channels.incidents(server="NDES01", visible={PUBLIC})
    assert (public.resolved_by, public.note) == ("operator", "patched NDES01")
