"""History scoped to channels, through the real Bolt app and the fake Slack (issue 12 item 6).

A log shared in a private channel taught the history a server, a file name, an
uploader and a resolution note: nobody outside that channel sees them, from another
channel, a DM, the Home tab or the digest; its members do; shared history shows all.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from slack_sdk import WebClient

from bot.history import UploadInfo, open_history
from bot.settings import Settings, SettingsError
from bot.slack import render
from bot.slack.app import create_app
from bot.slack.dedupe import Seen
from bot.slack.digest import post_digest
from bot.slack.fake_api import TOKEN
from bot.slack.membership import Membership
from bot.slack.services import Services
from bot.summary_file import summarize_file
from tests.support.connector_logs import legacy_pkcs_ca_outage
from tests.support.legacy_log import START, write
from tests.support.slack import payload, serving, summary_for, texts

HR = "G0HR"  # private: U2 and the bot
SECRET_SERVER = "NDES-HR.contoso.com"
SECRET_FILE = "hr-payroll-ndes.evtx"
SECRET_NOTE = "rotated the HR issuing key"
SECRETS = (SECRET_SERVER, "NDES-HR", SECRET_FILE, SECRET_NOTE)


def record(settings, path: Path, *, channel: str, user: str, name: str | None = None) -> None:
    summary = summarize_file(path, keep_events=True)
    info = UploadInfo.from_file(path, "evtx", source="slack", user=user, channel=channel,
                                thread_ts="1700000000.000001")  # fmt: skip
    if name:
        info = dataclasses.replace(info, file_name=name)
    with open_history(settings.db_path) as history:
        history.record_upload(info, summary.events)


@pytest.fixture
def workspace(fake_slack, settings, tmp_path):
    """NDES01 failing in #helpdesk (C1, U1…U9); the HR server's outage in a private channel
    only U2 is in, with one incident resolved there; U2's DM with the bot is D2."""
    fake_slack.add_channel(HR, {"U2", "UBOT"}, private=True)
    fake_slack.add_channel("D2", {"U2", "UBOT"})
    write(tmp_path / "ndes01.evtx", 3)
    record(settings, tmp_path / "ndes01.evtx", channel="C1", user="U1")
    legacy_pkcs_ca_outage(tmp_path / "hr.evtx", server=SECRET_SERVER)
    record(settings, tmp_path / "hr.evtx", channel=HR, user="U2", name=SECRET_FILE)
    with open_history(settings.db_path) as history:
        (fixed, *_) = history.incidents(server=SECRET_SERVER, event_id=20102)
        history.resolve(fixed.id, "U2", SECRET_NOTE, (HR, "1700000000.000001"))
    return fake_slack


def home(slack, fake_slack, user: str, dm: str) -> str:
    before = len(fake_slack.calls_to("views.publish"))
    event = {"type": "app_home_opened", "user": user, "channel": dm, "tab": "home",
             "event_ts": f"1700000000.{before:06d}"}  # fmt: skip
    assert slack.event(event).status == 200
    (call,) = fake_slack.wait_for("views.publish", count=before + 1)[before:]
    assert call["user_id"] == user
    return texts([{"blocks": call["view"]["blocks"]}])


def asked(slack, fake_slack, text: str, *, user: str, channel: str, ts: str) -> str:
    """A DM (D…) or a mention in a channel; the bot's answer, as shown."""
    if channel.startswith("D"):
        event = {**payload("message_im"), "user": user, "channel": channel, "text": text}
    else:
        event = {**payload("app_mention"), "user": user, "channel": channel,
                 "text": f"<@UBOT> {text}"}  # fmt: skip
    event.update(ts=ts, event_ts=ts)
    assert slack.event(event).status == 200
    (post,) = fake_slack.wait_for("chat.postMessage", where=lambda c: c.get("thread_ts") == ts)
    return texts([post])


def command(slack, fake_slack, text: str, *, user: str) -> str:
    reply, path = slack.command(text, user_id=user)
    assert reply.status == 200
    (answer,) = fake_slack.wait_for("response", where=lambda c: c.path == path)
    return texts([answer])


def hidden(shown: str) -> bool:
    return not any(secret in shown for secret in SECRETS)


def test_home_shows_a_private_channels_history_only_to_its_members(slack, workspace):
    outsider = home(slack, workspace, "U1", "D1")
    assert "`NDES01.contoso.com`" in outsider
    assert hidden(outsider)
    assert "1 connector server · 1 open incident" in outsider
    member = home(slack, workspace, "U2", "D2")
    assert f"`{SECRET_SERVER}`" in member
    assert f"Last log `{SECRET_FILE}` by <@U2>" in member
    assert "`NDES01.contoso.com`" in member  # U2 is in #helpdesk too


def test_a_dm_tells_history_the_asker_may_see(slack, workspace):
    outsider = asked(slack, workspace, "why did NDES-HR fail 20102", user="U1", channel="D1",
                     ts="1700000500.000001")  # fmt: skip
    assert "Event 20102" in outsider  # the answer itself still comes
    assert hidden(outsider.replace("why did NDES-HR fail", ""))
    member = asked(slack, workspace, "why did NDES-HR fail 20102", user="U2", channel="D2",
                   ts="1700000500.000002")  # fmt: skip
    assert SECRET_SERVER in member


def test_a_channel_answer_tells_what_all_its_members_may_see(slack, workspace):
    """U2 may see the HR channel, but the answer in #helpdesk is read by all of #helpdesk."""
    in_helpdesk = asked(slack, workspace, "what happened on NDES-HR", user="U2", channel="C1",
                        ts="1700000600.000001")  # fmt: skip
    assert SECRET_SERVER not in in_helpdesk
    assert SECRET_NOTE not in in_helpdesk
    in_hr = asked(slack, workspace, "what happened on NDES-HR", user="U2", channel=HR,
                  ts="1700000600.000002")  # fmt: skip
    assert SECRET_SERVER in in_hr


def test_servers_and_history_commands_are_scoped_to_the_person(slack, workspace):
    assert hidden(command(slack, workspace, "servers", user="U1"))
    assert "NDES01.contoso.com" in command(slack, workspace, "servers", user="U1")
    assert SECRET_SERVER in command(slack, workspace, "servers", user="U2")
    outsider = command(slack, workspace, "history NDES-HR", user="U1")
    assert "No incidents recorded for `NDES-HR`" in outsider  # only what was typed
    assert SECRET_SERVER not in outsider
    assert SECRET_NOTE not in outsider
    assert SECRET_SERVER in command(slack, workspace, "history NDES-HR", user="U2")


def test_similar_incidents_in_a_channel_leave_out_private_ones(slack, workspace):
    n = len(workspace.calls_to("chat.postMessage"))
    body = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U2"}, "api_app_id": "A1",
            "container": {"type": "message", "message_ts": "1700000000.000009", "channel_id": "C1",
                          "thread_ts": "1700000000.000001"},
            "trigger_id": "trig", "channel": {"id": "C1"}, "token": "legacy",
            "response_url": workspace.url + "/response/similar",
            "actions": [{"type": "button", "action_id": render.SIMILAR_ACTION, "block_id": "b",
                         "value": json.dumps({"e": "20502", "c": "0x00000410"}),
                         "action_ts": "1700001000.000001"}]}  # fmt: skip
    body_text = urlencode({"payload": json.dumps(body)})
    assert slack.post(body_text, "application/x-www-form-urlencoded").status == 200
    post = workspace.wait_for("chat.postMessage", count=n + 1)[n]
    shown = texts([post])
    assert "NDES01.contoso.com" in shown
    assert hidden(shown)


def digest_to(fake_slack, db, channel: str, **env) -> str:
    settings = Settings.from_env({"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake_slack.api_url,
                                  "INTUNE_BOT_DB": str(db), "INTUNE_BOT_DIGEST_CHANNEL": channel,
                                  **env})  # fmt: skip
    client = WebClient(token=TOKEN, base_url=fake_slack.api_url)
    assert post_digest(client, settings, Seen(), datetime.now(UTC))
    (post,) = [c for c in fake_slack.calls_to("chat.postMessage") if c["channel"] == channel]
    return texts([post])


def test_the_digest_tells_what_every_member_of_its_channel_may_see(workspace, settings):
    workspace.add_channel("C0DIGEST", {"U1", "U2", "UBOT"})
    everyone = digest_to(workspace, settings.db_path, "C0DIGEST")
    assert "NDES01.contoso.com" in everyone
    assert hidden(everyone)
    workspace.add_channel("G0HRDIGEST", {"U2", "UBOT"}, private=True)  # all of them are in HR
    hr = digest_to(workspace, settings.db_path, "G0HRDIGEST")
    assert SECRET_SERVER in hr
    assert "NDES01.contoso.com" in hr  # and U2 is in #helpdesk too


def test_shared_history_shows_everything_and_asks_slack_nothing(fake_slack, tmp_path, workspace,
                                                                 settings):  # fmt: skip
    shared = dataclasses.replace(settings, shared_history=True)
    assert Settings.from_env({"INTUNE_BOT_SHARED_HISTORY": "1"}).shared_history
    services = Services(settings=shared, db=shared.db_path)
    try:
        with serving(create_app(shared, services), fake_slack) as sender:
            shown = home(sender, fake_slack, "U1", "D1")
    finally:
        services.close(wait=True)
    assert SECRET_SERVER in shown
    assert f"`{SECRET_FILE}`" in shown
    assert fake_slack.calls_to("users.conversations") == []
    digest = digest_to(fake_slack, settings.db_path, "C0ANY", INTUNE_BOT_SHARED_HISTORY="1")
    assert SECRET_SERVER in digest
    assert fake_slack.calls_to("conversations.members") == []


def test_membership_is_cached_not_asked_per_message(slack, workspace, services):
    now = [1000.0]
    services.membership = Membership(clock=lambda: now[0])
    for n in range(3):
        home(slack, workspace, "U1", "D1")
        asked(slack, workspace, "why did NDES01 fail", user="U1", channel="D1",
              ts=f"1700000700.00000{n}")  # fmt: skip
        command(slack, workspace, "servers", user="U1")
    assert len(workspace.calls_to("users.conversations")) == 1  # 9 answers, one call
    now[0] += 61  # a minute later: someone may have left a channel
    home(slack, workspace, "U1", "D1")
    assert len(workspace.calls_to("users.conversations")) == 2
    calls = workspace.calls_to("users.conversations")
    assert calls[0]["user"] == "U1"
    assert "private_channel" in calls[0]["types"]


def test_membership_pages_through_many_channels(fake_slack, workspace):
    for n in range(2500):
        fake_slack.add_channel(f"C{n:08d}", {"U5", "UBOT"})
    fake_slack.add_channel(HR, {"U2", "U5", "UBOT"}, private=True)
    client = WebClient(token=TOKEN, base_url=fake_slack.api_url)
    seen = Membership().for_user(client, "U5")
    assert HR in seen
    assert len(seen) == 2502
    assert "C1" in seen
    assert len(fake_slack.calls_to("users.conversations")) == 3  # 1,000 a page


def test_a_slack_error_fails_closed_with_one_log_line(slack, workspace, caplog):
    workspace.fail_next("users.conversations", body={"ok": False, "error": "missing_scope"})
    with caplog.at_level(logging.WARNING, logger="bot.slack.membership"):
        shown = home(slack, workspace, "U2", "D2")
        asked(slack, workspace, "why did NDES-HR fail", user="U2", channel="D2",
              ts="1700000800.000001")  # fmt: skip
    assert hidden(shown)
    assert "NDES01.contoso.com" not in shown  # nothing learned elsewhere
    lines = [r for r in caplog.records if r.name == "bot.slack.membership"]
    assert len(lines) == 1
    assert "missing_scope" in lines[0].getMessage()
    assert "users.conversations" in lines[0].getMessage()
    assert lines[0].exc_info is None
    assert len(workspace.calls_to("users.conversations")) == 1  # the failure is cached too


def test_a_log_shared_in_a_private_channel_is_recorded_there(slack, fake_slack, settings, tmp_path):
    """The real upload path: a file shared in the HR channel is that channel's history, and
    its summary there tells the note resolved in that channel; #helpdesk sees none of it."""
    fake_slack.add_channel(HR, {"U2", "UBOT"}, private=True)
    path = tmp_path / "hr.evtx"
    legacy_pkcs_ca_outage(path, server=SECRET_SERVER)
    file = fake_slack.add_file("FHR", SECRET_FILE, path.read_bytes())
    ts = "1700000900.000001"
    event = {**payload("message_file_share"), "files": [file], "ts": ts, "event_ts": ts,
             "channel": HR, "channel_type": "group", "user": "U2"}  # fmt: skip
    assert slack.event(event).status == 200
    assert "20102" in texts([summary_for(fake_slack, ts)])
    with open_history(settings.db_path) as history:
        assert history.channels() == [HR]
        assert [s.name for s in history.servers(visible={"C1"})] == []
        assert [s.name for s in history.servers(visible={HR})] == [SECRET_SERVER]
    outsider = home(slack, fake_slack, "U1", "D1")
    assert hidden(outsider)
    assert "No connector servers yet" in outsider
    deadline = time.monotonic() + 5
    while fake_slack.calls_to("users.conversations") == [] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake_slack.calls_to("users.conversations")[-1]["user"] == "U1"


@pytest.mark.parametrize("value,on", [("1", True), ("true", True), ("YES", True), ("0", False),
                                      ("off", False), ("", False)])  # fmt: skip
def test_shared_history_is_a_switch(value, on):
    assert Settings.from_env({"INTUNE_BOT_SHARED_HISTORY": value}).shared_history is on
    assert Settings.from_env({}).shared_history is False


def test_shared_history_refuses_what_is_not_a_switch():
    with pytest.raises(SettingsError, match="INTUNE_BOT_SHARED_HISTORY must be 1 .* not 'everyone'"):
        Settings.from_env({"INTUNE_BOT_SHARED_HISTORY": "everyone"})


def test_a_note_written_in_a_private_channel_is_not_told_elsewhere(slack, workspace, settings,
                                                                    tmp_path):  # fmt: skip
    """NDES01's failure, shared in #helpdesk, also came up in the HR channel and was resolved
    there: #helpdesk's people see it resolved, not who resolved it or how."""
    write(tmp_path / "ndes01-later.evtx", 3, start=START + timedelta(hours=1))
    record(settings, tmp_path / "ndes01-later.evtx", channel=HR, user="U2")
    note = "NDES01 fixed through the HR CA"
    with open_history(settings.db_path) as history:
        (incident,) = history.incidents(server="NDES01")
        history.resolve(incident.id, "U2", note, (HR, "1700000000.000001"))
    outsider = asked(slack, workspace, "why did NDES01 fail", user="U1", channel="D1",
                     ts="1700001100.000001")  # fmt: skip
    assert "NDES01.contoso.com" in outsider
    assert "resolved" in outsider
    assert note not in outsider
    assert "<@U2>" not in outsider
    member = asked(slack, workspace, "why did NDES01 fail", user="U2", channel="D2",
                   ts="1700001100.000002")  # fmt: skip
    assert note in member
    assert "<@U2>" in member
