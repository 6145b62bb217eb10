"""Connector logs shared in Slack: the failure summary, its history, and hostile log content."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.slack.render import CHECKING_HISTORY
from tests.support.legacy_log import START, write
from tests.support.slack import share, summary_for, texts


def test_connector_failures_are_summarized_in_the_thread(slack, fake_slack, tmp_path):
    log = write(tmp_path / "connector.evtx", failures=30, successes=10)
    event = share(slack, fake_slack.add_file("F1", "NDES01-connector.evtx", log.read_bytes()))
    summary = summary_for(fake_slack, event["ts"])
    shown = texts([summary])
    assert summary["text"].startswith("NDES01-connector.evtx: 30 failures, most frequent 20502")
    assert "NDES01.contoso.com" in shown
    assert "*30* × 20502" in shown
    assert "0x00000410" in shown
    assert "CONTOSO-CA" in shown
    assert "IntuneWiFi" in shown
    assert "4f1c2d3e-" in shown
    assert ":new: New: 20502 (0x00000410) on `NDES01.contoso.com`" in shown
    assert "2026-11-20 08:00" in shown
    first = fake_slack.calls_to("chat.update")[-2]  # the summary went out before the history
    assert first["text"] == summary["text"]
    assert CHECKING_HISTORY in texts([first])


def test_the_history_remembers_the_upload_and_its_thread(slack, fake_slack, settings, tmp_path):
    log = write(tmp_path / "connector.evtx", failures=5)
    event = share(slack, fake_slack.add_file("F1", "connector.evtx", log.read_bytes()))
    summary_for(fake_slack, event["ts"])
    _, path = slack.command("history NDES01")
    (answer,) = fake_slack.wait_for("response", where=lambda c: c.path == path)
    shown = texts([answer])
    assert "20502 (0x00000410) on `NDES01.contoso.com`, 5×" in shown
    assert "open" in shown
    _, path = slack.command("servers")
    (answer,) = fake_slack.wait_for("response", where=lambda c: c.path == path)
    assert "`NDES01.contoso.com`: 1 open of 1 incidents" in texts([answer])

    from bot.history import open_history

    with open_history(settings.db_path) as history:
        (incident,) = history.incidents(server="NDES01")
    assert (incident.channel, incident.thread_ts) == ("C1", event["ts"])


def test_a_later_log_of_the_same_failure_is_ongoing_and_the_same_file_is_not_counted_twice(
    slack, fake_slack, tmp_path
):
    first = write(tmp_path / "a.evtx", failures=5)
    later = write(tmp_path / "b.evtx", failures=5, start=START + timedelta(hours=1))
    share(slack, fake_slack.add_file("F1", "a.evtx", first.read_bytes()), ts="1700000001.000001")
    summary_for(fake_slack, "1700000001.000001")
    share(slack, fake_slack.add_file("F2", "b.evtx", later.read_bytes()), ts="1700000002.000002")
    second = summary_for(fake_slack, "1700000002.000002")
    assert ":repeat: Ongoing: 20502 (0x00000410) on `NDES01.contoso.com`, 10×" in texts([second])
    share(
        slack, fake_slack.add_file("F3", "a-again.evtx", first.read_bytes()), ts="1700000003.000003"
    )
    third = summary_for(fake_slack, "1700000003.000003")
    assert "read before" in texts([third])


@pytest.mark.parametrize("hostile", ["<!channel>", "<!here>", "<@U123>", "<http://evil.example|y>"])
def test_hostile_log_content_pings_no_one(slack, fake_slack, tmp_path, hostile):
    log = write(tmp_path / "x.evtx", failures=3, server=f"NDES01{hostile}", ca=f"{hostile} CA",
                template=hostile, device=hostile)  # fmt: skip
    event = share(slack, fake_slack.add_file("F1", "x.evtx", log.read_bytes()))
    summary = summary_for(fake_slack, event["ts"])
    shown = texts(fake_slack.calls_to("chat.postMessage") + fake_slack.calls_to("chat.update"))
    assert hostile not in shown
    assert "CA" in texts([summary])


def test_hostile_strings_scenario_pings_no_one(slack, fake_slack, tmp_path):
    from tests.support.connector_logs import hostile_strings

    hostile_strings(tmp_path / "hostile.evtx")
    file = fake_slack.add_file("F1", "hostile.evtx", (tmp_path / "hostile.evtx").read_bytes())
    event = share(slack, file)
    summary = summary_for(fake_slack, event["ts"])
    shown = texts(fake_slack.calls_to("chat.postMessage") + fake_slack.calls_to("chat.update"))
    for raw in ("<!channel>", "<!here>", "<@U024BE7LH>", "<http://evil.example/login|Click here>",
                "<!subteam^S123|@team>"):  # fmt: skip
        assert raw not in shown
    assert "&lt;!channel&gt;" in texts([summary])  # shown, as text
