"""Incidents an older release recorded under no server: shown as "unknown server", reassigned."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.history import HistoryError, open_history
from bot.slack import render
from tests.support.slack import texts

V2_FILE = Path(__file__).parent / "data" / "v2-split-incidents.db"  # a real older file


@pytest.fixture
def old_file(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    shutil.copy(V2_FILE, path)
    return path


def nameless(path: Path):
    with open_history(path) as h:
        (incident,) = [i for i in h.incidents(limit=100) if not i.server.strip()]
        return incident


def events_on(path: Path, server: str) -> int:
    with open_history(path, readonly=True) as h:
        return h.conn.execute(
            "SELECT count(*) FROM events e JOIN servers s ON s.id = e.server_id WHERE s.name = ?",
            (server,),
        ).fetchone()[0]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_the_nameless_server_shows_as_unknown_server_with_how_to_reassign(old_file):
    incident = nameless(old_file)

    listing = run("history", "--db", str(old_file)).stdout

    (line,) = [row for row in listing.splitlines() if row.startswith(f"#{incident.id} ")]
    assert line.split()[1:5] == ["unknown", "server", "20502", "0x800706BA"]
    assert f"reassign it: intune-bot history reassign {incident.id} --server NAME" in listing
    assert "unknown server" in run("servers", "--db", str(old_file)).stdout


def test_reassigning_to_a_new_server_moves_the_incident_and_its_events(old_file):
    incident = nameless(old_file)
    before = events_on(old_file, "")

    result = run("history", "reassign", str(incident.id), "--server", "NDES09", "--db", str(old_file))

    assert result.exit_code == 0, result.output
    assert result.stdout == f"Incident #{incident.id} is now on NDES09: {incident.count} events.\n"
    assert events_on(old_file, "NDES09") == incident.count == before
    assert events_on(old_file, "") == 0
    with open_history(old_file, readonly=True) as h:
        moved = h.incident(incident.id)
    assert (moved.server, moved.count, moved.first, moved.last) == (
        "NDES09", incident.count, incident.first, incident.last)  # fmt: skip


def test_reassigning_onto_an_open_incident_of_the_same_failure_merges_them(old_file):
    incident = nameless(old_file)
    with open_history(old_file) as h:
        (target,) = [i for i in h.incidents(server="NDES01.contoso.com", status="open")
                     if (i.event_id, i.code) == (incident.event_id, incident.code)]  # fmt: skip

    result = run("history", "reassign", str(incident.id), "--server", "ndes01.contoso.com",
                 "--db", str(old_file))  # fmt: skip

    assert result.exit_code == 0, result.output
    assert f"(merged into #{target.id})" in result.stdout
    with open_history(old_file, readonly=True) as h:
        merged = h.incident(target.id)
        assert merged.count == target.count + incident.count
        assert merged.first == min(target.first, incident.first)
        assert merged.last == max(target.last, incident.last)
        with pytest.raises(HistoryError, match=f"no incident {incident.id}"):
            h.incident(incident.id)


def test_reassigning_by_short_name_merges_into_the_known_server(old_file):
    incident = nameless(old_file)
    with open_history(old_file) as h:
        (target,) = [i for i in h.incidents(server="NDES01.contoso.com", status="open")
                     if (i.event_id, i.code) == (incident.event_id, incident.code)]  # fmt: skip
        servers = len(h.servers())

    result = run("history", "reassign", str(incident.id), "--server", "NDES01", "--db", str(old_file))

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"Incident #{incident.id} is now on NDES01.contoso.com (merged into #{target.id})"
    )
    with open_history(old_file, readonly=True) as h:
        assert len(h.servers()) == servers  # no server "NDES01" beside NDES01.contoso.com
        assert "NDES01" not in {s.name for s in h.servers()}


def test_only_incidents_of_the_unknown_server_can_be_reassigned(old_file):
    with open_history(old_file, readonly=True) as h:
        named = h.incidents(server="NDES02.contoso.com")[0]

    result = run("history", "reassign", str(named.id), "--server", "X", "--db", str(old_file))

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: incident #{named.id} is on NDES02.contoso.com: only incidents of the unknown "
        "server can be reassigned\n"
    )


def test_slack_shows_the_unknown_server_by_that_name(old_file):
    with open_history(old_file, readonly=True) as h:
        items = [i.to_dict() for i in h.incidents(limit=100)]
        listed = [s.to_dict() for s in h.servers()]

    shown = texts([render.incidents(items), render.servers(listed)])

    assert "on _unknown server_" in shown
    assert "• _unknown server_:" in shown
    assert "``" not in shown
