"""An export that names no computer, shared in Slack: summarized at once, recorded once a
server is named (by the message, the file name, a button, or typed in a modal)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.history import open_history
from bot.slack import render
from tests.support.legacy_log import write
from tests.support.slack import actions_of, click, post_form, share, summary_for, texts

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"
CSV = (EXPORTS / "eventviewer_en.csv").read_bytes()  # Event Viewer's CSV: no Computer column
KNOWN = "NDES01.contoso.com"


def incidents_by_server(settings) -> dict[str, list[int]]:
    with open_history(settings.db_path, readonly=True) as history:
        out: dict[str, list[int]] = {}
        for i in history.incidents():
            out.setdefault(i.server, []).append(i.event_id)
        return out


@pytest.fixture
def known_server(slack, fake_slack, tmp_path, settings):
    """NDES01.contoso.com is in the history: an .evtx that names it was shared first."""
    log = write(tmp_path / "connector.evtx", failures=3)
    share(slack, fake_slack.add_file("FKNOWN", "connector.evtx", log.read_bytes()),
          ts="1700000100.000100")  # fmt: skip
    summary_for(fake_slack, "1700000100.000100")
    return KNOWN


def question_in(fake_slack, thread_ts):
    (post,) = fake_slack.wait_for(
        "chat.postMessage",
        where=lambda c: c.get("thread_ts") == thread_ts and "names no computer" in c.get("text", ""),
    )
    return {**post.body, "ts": post.reply["ts"]}


def test_a_nameless_export_is_summarized_at_once_and_the_bot_asks_which_server(
    slack, fake_slack, settings, known_server
):
    share(slack, fake_slack.add_file("F1", "export.csv", CSV), text="the export")
    summary = summary_for(fake_slack, "1700000300.000300")
    assert summary["text"].startswith("export.csv: 1 failure")
    question = question_in(fake_slack, "1700000300.000300")
    buttons = actions_of(question)
    assert buttons[render.SERVER_ACTION]["text"]["text"] == KNOWN
    assert render.SERVER_OTHER_ACTION in buttons
    assert incidents_by_server(settings) == {KNOWN: [20502]}  # nothing recorded yet


def test_choosing_a_known_server_records_the_export_under_it(
    slack, fake_slack, settings, known_server
):
    share(slack, fake_slack.add_file("F1", "export.csv", CSV), text="the export")
    summary = summary_for(fake_slack, "1700000300.000300")
    question = question_in(fake_slack, "1700000300.000300")

    click(slack, question, render.SERVER_ACTION, thread_ts="1700000300.000300", user="U7")

    (answered,) = fake_slack.wait_for("chat.update", where=lambda c: c["ts"] == question["ts"])
    assert texts([answered]) .splitlines()[0] == (
        f"`export.csv` is recorded under `{KNOWN}` (chosen by <@U7>)."
    )
    updated = fake_slack.wait_for(
        "chat.update", where=lambda c: c["ts"] == summary["ts"] and "New" in texts([c])
    )[-1]
    assert f":new: New: 20102 (0x00000400) on `{KNOWN}`" in texts([updated])
    assert sorted(incidents_by_server(settings)[KNOWN]) == [10301, 20102, 20502]


def test_a_second_click_records_nothing_more(slack, fake_slack, settings, known_server):
    share(slack, fake_slack.add_file("F1", "export.csv", CSV), text="the export")
    summary_for(fake_slack, "1700000300.000300")
    question = question_in(fake_slack, "1700000300.000300")

    click(slack, question, render.SERVER_ACTION, thread_ts="1700000300.000300", user="U7")
    fake_slack.wait_for("chat.update", where=lambda c: c["ts"] == question["ts"])
    click(slack, question, render.SERVER_ACTION, thread_ts="1700000300.000300", user="U8")

    fake_slack.wait_for("files.info", count=1)
    with open_history(settings.db_path, readonly=True) as history:
        assert len(history.incidents(server=KNOWN)) == 3
    assert not [c for c in fake_slack.calls_to("chat.update") if "<@U8>" in texts([c])]


def test_a_file_name_that_names_a_known_server_is_recorded_at_once(
    slack, fake_slack, settings, known_server
):
    share(slack, fake_slack.add_file("F1", "ndes01_application.csv", CSV), text="the export")
    summary = summary_for(fake_slack, "1700000300.000300")
    assert f":new: New: 20102 (0x00000400) on `{KNOWN}`" in texts([summary])
    assert not [c for c in fake_slack.calls_to("chat.postMessage")
                if "names no computer" in c.get("text", "")]  # fmt: skip


def test_a_message_that_names_a_known_server_is_recorded_under_it(
    slack, fake_slack, settings, known_server
):
    share(slack, fake_slack.add_file("F1", "export.csv", CSV), text="app log from ndes01, failing")
    summary = summary_for(fake_slack, "1700000300.000300")
    assert f":new: New: 20102 (0x00000400) on `{KNOWN}`" in texts([summary])


def test_a_typed_name_in_the_modal_records_under_that_server(slack, fake_slack, settings):
    share(slack, fake_slack.add_file("F1", "export.csv", CSV), text="the export")
    summary_for(fake_slack, "1700000300.000300")
    question = question_in(fake_slack, "1700000300.000300")
    assert set(actions_of(question)) == {render.SERVER_OTHER_ACTION}  # no server known yet

    click(slack, question, render.SERVER_OTHER_ACTION, thread_ts="1700000300.000300")
    (opened,) = fake_slack.wait_for("views.open")
    modal = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    assert modal["callback_id"] == render.SERVER_VIEW

    blank = submit_name(slack, modal, "   ")
    assert json.loads(blank.body)["response_action"] == "errors"
    submit_name(slack, modal, "  NDES02  ")

    (answered,) = fake_slack.wait_for("chat.update", where=lambda c: c["ts"] == question["ts"])
    assert "`export.csv` is recorded under `NDES02`" in texts([answered])
    assert sorted(incidents_by_server(settings)["NDES02"]) == [10301, 20102]


def submit_name(slack, modal, name):
    values = {render.SERVER_BLOCK: {render.SERVER_INPUT: {"type": "plain_text_input", "value": name}}}
    body = {"type": "view_submission", "team": {"id": "T1", "domain": "example"},
            "user": {"id": "U1", "team_id": "T1"}, "api_app_id": "A1", "token": "legacy",
            "trigger_id": "trigS", "view": {"id": "V1", "type": "modal", "team_id": "T1",
            "app_id": "A1", "callback_id": modal["callback_id"],
            "private_metadata": modal["private_metadata"], "blocks": modal["blocks"],
            "state": {"values": values}, "hash": "h1"}}  # fmt: skip
    reply = post_form(slack, body)
    assert reply.status == 200
    return reply


def share_export_and_open_the_modal(slack, fake_slack) -> tuple[dict, dict]:
    """Share the CSV export, then click *Another server…* under the bot's question."""
    share(slack, fake_slack.add_file("F1", "export.csv", CSV), text="the export")
    summary_for(fake_slack, "1700000300.000300")
    question = question_in(fake_slack, "1700000300.000300")
    click(slack, question, render.SERVER_OTHER_ACTION, thread_ts="1700000300.000300")
    (opened,) = fake_slack.wait_for("views.open")
    return question, opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])


def test_a_typed_short_name_records_under_the_known_server(
    slack, fake_slack, settings, known_server
):
    question, modal = share_export_and_open_the_modal(slack, fake_slack)

    submit_name(slack, modal, "ndes01")

    (answered,) = fake_slack.wait_for("chat.update", where=lambda c: c["ts"] == question["ts"])
    assert f"`export.csv` is recorded under `{KNOWN}`" in texts([answered])
    assert sorted(incidents_by_server(settings)[KNOWN]) == [10301, 20102, 20502]
    assert set(incidents_by_server(settings)) == {KNOWN}


def test_a_typed_short_name_of_two_known_servers_keeps_the_modal_open(
    slack, fake_slack, settings, known_server, tmp_path
):
    other = write(tmp_path / "fabrikam.evtx", failures=1, server="NDES01.fabrikam.com")
    share(slack, fake_slack.add_file("FOTHER", "fabrikam.evtx", other.read_bytes()),
          ts="1700000200.000200")  # fmt: skip
    summary_for(fake_slack, "1700000200.000200")
    question, modal = share_export_and_open_the_modal(slack, fake_slack)

    reply = json.loads(submit_name(slack, modal, "ndes01").body)

    assert reply["response_action"] == "errors"
    assert reply["errors"][render.SERVER_BLOCK] == (
        "Several known servers are called ndes01: type the full name (NDES01.contoso.com)."
    )
    assert incidents_by_server(settings) == {KNOWN: [20502], "NDES01.fabrikam.com": [20502]}
