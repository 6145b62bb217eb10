"""The use cases in bot/triage.py, on real logs and real SQLite files, and the CLI over them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from bot.asking import servers_named, what_history_knows
from bot.cli import cli
from bot.history import open_history
from bot.search import lookup
from bot.summary_file import summarize_file
from bot.triage import (
    Source,
    build_digest,
    history_at,
    home_data,
    ingest,
)
from tests.support import legacy_log
from tests.support.connector_logs import START, legacy_pkcs_ca_outage, two_servers


def _summary(path):
    return summarize_file(path, keep_events=True)


def _yesterday(path, failures=3):
    """20502/0x00000410 failures on NDES01 a day ago: inside the 30 days `recent` looks at."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    return legacy_log.write(path, failures, start=start)


def test_ingest_reports_changes_and_the_top_failures_history(tmp_path):
    log = _yesterday(tmp_path / "yesterday.evtx")
    with open_history(tmp_path / "h.db") as history:
        first = ingest(log, _summary(log), Source("cli", user="ana"), history)
        again = ingest(log, _summary(log), Source("cli", user="ana"), history)
    changes = [c.change for c in first.result.incidents]
    assert changes == ["new"]
    (recent,) = first.recent  # the dominant failure on its one server
    assert recent.server == "NDES01.contoso.com"
    assert recent.event_id == 20502
    assert recent.code == "0x00000410"
    assert recent.incidents == 1
    assert recent.events == 3
    assert again.result.already_recorded
    assert again.view()["already_recorded"] is True


def test_ingest_view_groups_changes_biggest_failure_first(tmp_path):
    log = tmp_path / "outage.evtx"
    legacy_pkcs_ca_outage(log)
    with open_history(tmp_path / "h.db") as history:
        view = ingest(log, _summary(log), Source(), history).view()
    assert view["new_total"] == len(view["new"])
    first = view["new"][0]
    assert first["kind"] == "failure"
    assert first["added"] == max(c["added"] for c in view["new"] if c["kind"] == "failure")
    assert view["recent"][0]["server"] == "NDES01.contoso.com"
    assert view["recent"][0]["incidents"] == 0  # its events are older than 30 days


def test_ingest_from_slack_remembers_the_thread(tmp_path):
    log = tmp_path / "outage.evtx"
    legacy_pkcs_ca_outage(log)
    source = Source("slack", user="U1", channel="C1", thread_ts="1700000000.000100")
    with open_history(tmp_path / "h.db") as history:
        ingested = ingest(log, _summary(log), source, history)
        in_thread = history.incidents_in_thread("C1", "1700000000.000100")
    assert {i.id for i in in_thread} <= {c.incident.id for c in ingested.result.incidents}
    assert in_thread


def test_what_history_knows_a_named_servers_failure(tmp_path):
    log = tmp_path / "two.evtx"
    two_servers(log)
    with open_history(tmp_path / "h.db") as history:
        ingest(log, _summary(log), Source(), history)
        text = "why does 20502 fail on NDES01"
        named = servers_named(text, history)
        known = what_history_knows(history, lookup(text), named)
    assert named == ["NDES01.contoso.com"]
    (place,) = known
    assert place.where == "server"
    (item,) = place.items
    assert item["incident"]["event_id"] == "20502"
    assert item["incident"]["code"] == "0x00000409"
    assert item["recent"]["server"] == "NDES01.contoso.com"


def test_what_history_knows_says_when_a_server_has_nothing(tmp_path):
    log = tmp_path / "two.evtx"
    two_servers(log)
    with open_history(tmp_path / "h.db") as history:
        ingest(log, _summary(log), Source(), history)
        known = what_history_knows(history, lookup("20502"), ["NDES09"])
    assert [k.to_dict() for k in known] == [{"where": "server", "server": "NDES09", "items": []}]


def test_home_data_lists_servers_with_open_failures_first(tmp_path):
    log = tmp_path / "two.evtx"
    two_servers(log)
    with open_history(tmp_path / "h.db") as history:
        ingest(log, _summary(log), Source("slack", user="U1"), history)
        data = home_data(history, now=START + timedelta(days=1))
    assert data["available"] is True
    names = {s["name"] for s in data["servers"]}
    assert names == {"NDES01.contoso.com", "NDES02.contoso.com"}
    for server in data["servers"]:
        kinds = [i["kind"] for i in server["open"]]
        assert kinds == sorted(kinds, key=lambda k: k != "failure")
        assert server["upload"]["source"] == "slack"
    assert data["recurring"][0]["incidents"] >= 1


def test_home_data_without_a_store():
    assert home_data(None) == {"available": False}


def test_digest_counts_a_new_failure_incident(tmp_path):
    log = tmp_path / "outage.evtx"
    legacy_pkcs_ca_outage(log)
    with open_history(tmp_path / "h.db") as history:
        ingest(log, _summary(log), Source(), history)
        (created,) = {i.created_at for i in history.incidents(limit=100)}
        digest = build_digest(history, created + timedelta(hours=1))
    assert digest.new
    assert all(i.kind == "failure" for i in digest.new)
    assert not digest.ongoing


def test_history_at_an_unopenable_path_is_none(tmp_path):
    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    with history_at(folder) as history:
        assert history is None


def test_summarize_record_reports_what_a_slack_upload_reports(tmp_path):
    """`summarize --record` prints the new incidents and the top failure's 30-day history."""
    log = _yesterday(tmp_path / "yesterday.evtx")
    db = tmp_path / "h.db"
    out = CliRunner().invoke(cli, ["summarize", str(log), "--record", "--db", str(db)])
    assert out.exit_code == 0, out.output
    assert "new " in out.output
    assert "NDES01.contoso.com had 20502 (0x00000410) in 1 incident over the last 30 days" in (
        out.output
    )
    raw = CliRunner().invoke(cli, ["summarize", str(log), "--record", "--json", "--db", str(db)])
    history = json.loads(raw.output)["history"]
    assert history["already_recorded"] is True
    assert history["recent"][0]["server"] == "NDES01.contoso.com"
