"""A damaged history store in Slack: every summary, answer and tab still goes out, saying why."""

from __future__ import annotations

import pytest

from bot.history import UploadInfo, open_history
from bot.summary_file import summarize_file
from tests.support.damaged_db import damaged_past_first_page, garbage
from tests.support.legacy_log import write
from tests.support.slack import home_opened, payload, share, summary_for, texts


@pytest.fixture(params=["garbage", "past-first-page"])
def damaged_store(request, settings, tmp_path):
    """The bot's history file, damaged: garbage, or a real history with ruined table pages."""
    if request.param == "garbage":
        garbage(settings.db_path)
    else:
        good = tmp_path / "good.db"
        log = write(tmp_path / "earlier.evtx", failures=200)
        info = UploadInfo.from_file(log, "evtx", source="slack", user="U1", channel="C1")
        with open_history(good) as history:
            history.record_upload(info, summarize_file(log, keep_events=True).events)
        damaged_past_first_page(good, settings.db_path)
    return settings.db_path


def test_an_upload_keeps_its_summary_and_says_in_one_line_why_it_was_not_recorded(
    slack, fake_slack, tmp_path, damaged_store
):
    before = damaged_store.read_bytes()
    log = write(tmp_path / "connector.evtx", failures=30)

    event = share(slack, fake_slack.add_file("F1", "NDES01-connector.evtx", log.read_bytes()))
    summary = summary_for(fake_slack, event["ts"])

    shown = texts([summary])
    assert summary["text"].startswith("NDES01-connector.evtx: 30 failures, most frequent 20502")
    assert "*30* × 20502" in shown
    (line,) = [t for t in shown.splitlines() if "history was not updated" in t]
    assert line == (
        f":warning: The history was not updated: {damaged_store} "
        "is not a SQLite database (or is damaged)"
    )
    assert "internal error" not in shown.lower()
    assert "went wrong" not in shown.lower()
    assert damaged_store.read_bytes() == before


@pytest.mark.parametrize("verb", ["history", "servers", "history NDES01"])
def test_history_commands_say_in_one_line_why_the_history_cannot_be_read(
    slack, fake_slack, damaged_store, verb
):
    _, path = slack.command(verb)
    (answer,) = fake_slack.wait_for("response", where=lambda c: c.path == path)
    assert texts([answer]).strip().splitlines()[0] == (
        f"The history could not be read: {damaged_store} is not a SQLite database (or is damaged)"
    )


def test_a_question_naming_a_server_is_still_answered(slack, fake_slack, damaged_store):
    slack.event({**payload("app_mention"), "text": "<@UBOT> 20502 on NDES01"})
    (post,) = fake_slack.wait_for("chat.postMessage")
    assert post["text"].startswith("Event 20502 ")
    assert "went wrong" not in texts([post]).lower()


def test_the_home_tab_still_publishes_saying_the_history_is_unavailable(
    slack, fake_slack, damaged_store
):
    _, view = home_opened(slack, fake_slack)
    shown = texts([view])
    assert "The incident history is not available right now." in shown
