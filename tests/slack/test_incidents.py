"""The incident workflow, through the real Bolt app over HTTP: summary buttons, the resolve
modal, Similar incidents, Show all, and answers that use the history (issue 6)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import sqlite3
import time
from datetime import timedelta

import pytest

from bot.history import open_history
from bot.slack import render
from bot.slack.app import create_app
from bot.slack.kept import summaries_path
from tests.support.legacy_log import START, many_failures, write
from tests.support.slack import actions_of, click, payload, post_form, share, summary_for, texts

_ids = itertools.count(1)
HOSTILE = "<!channel> fixed <http://evil.example|here> & <@U999>"


def submit(slack, modal, note, *, user="U1", view_id="V1"):
    """A signed view_submission of the "Mark resolved" modal."""
    values = {render.NOTE_BLOCK: {render.NOTE_INPUT: {"type": "plain_text_input", "value": note}}}
    body = {"type": "view_submission", "team": {"id": "T1", "domain": "example"},
            "user": {"id": user, "team_id": "T1"}, "api_app_id": "A1", "token": "legacy",
            "trigger_id": f"trig{next(_ids)}",
            "view": {"id": view_id, "type": "modal", "team_id": "T1", "app_id": "A1",
                     "callback_id": modal["callback_id"], "private_metadata": modal["private_metadata"],
                     "blocks": modal["blocks"], "state": {"values": values}, "hash": "h1"}}  # fmt: skip
    reply = post_form(slack, body)
    assert reply.status == 200
    return reply


def uploaded(slack, fake_slack, tmp_path, *, failures=5, name="NDES01.evtx", ts="1700000300.000300",
             **kw):  # fmt: skip
    log = write(tmp_path / f"{ts}.evtx", failures=failures, **kw)
    share(slack, fake_slack.add_file(f"F{ts}", name, log.read_bytes()), ts=ts)
    summary = summary_for(fake_slack, ts)
    ts_of = [
        p.reply["ts"] for p in fake_slack.calls_to("chat.postMessage") if p.get("thread_ts") == ts
    ]
    return {**summary.body, "ts": ts_of[0]}, ts


def incidents(settings, **kw):
    with open_history(settings.db_path) as history:
        return history.incidents(**kw)


# --- Mark resolved ---------------------------------------------------------------------


def test_every_recorded_summary_has_its_buttons(slack, fake_slack, tmp_path, settings):
    summary, _ = uploaded(slack, fake_slack, tmp_path)
    buttons = actions_of(summary)
    assert set(buttons) == {render.RESOLVE_ACTION, render.SIMILAR_ACTION}  # nothing was cut
    (incident,) = incidents(settings)
    assert buttons[render.RESOLVE_ACTION]["value"] == str(incident.id)
    assert json.loads(buttons[render.SIMILAR_ACTION]["value"]) == {"e": "20502", "c": "0x00000410"}
    assert len(summary["blocks"]) <= 50


def test_mark_resolved_opens_the_modal_and_the_submission_resolves(slack, fake_slack, tmp_path,
                                                                    settings):  # fmt: skip
    summary, thread = uploaded(slack, fake_slack, tmp_path)
    click(slack, summary, render.RESOLVE_ACTION, thread_ts=thread, trigger="trigA")
    (opened,) = fake_slack.wait_for("views.open")
    assert opened["trigger_id"] == "trigA"
    modal = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    assert modal["callback_id"] == render.RESOLVE_VIEW
    assert "1 incident" in texts([{"blocks": modal["blocks"]}])
    assert "20502 (0x00000410)" in texts([{"blocks": modal["blocks"]}])
    assert any(b["type"] == "input" for b in modal["blocks"])
    assert len(modal["private_metadata"]) <= 3000

    updates = len(fake_slack.calls_to("chat.update"))
    submit(slack, modal, "renewed the NDES RA certificate")
    (update,) = fake_slack.wait_for("chat.update", count=updates + 1, where=lambda c: True)[
        updates:
    ]
    assert update["ts"] == summary["ts"]
    assert update["channel"] == "C1"
    shown = texts([update])
    assert "Resolved by <@U1> (1 incident): “renewed the NDES RA certificate”" in shown
    assert "*5* × 20502" in shown  # still the summary, re-rendered
    assert render.RESOLVE_ACTION not in actions_of(update)
    assert render.SIMILAR_ACTION in actions_of(update)
    (incident,) = incidents(settings)
    assert (incident.status, incident.resolved_by) == ("resolved", "U1")
    assert incident.note == "renewed the NDES RA certificate"


def test_a_second_identical_submission_changes_nothing(slack, fake_slack, tmp_path, settings, services):
    summary, thread = uploaded(slack, fake_slack, tmp_path)
    click(slack, summary, render.RESOLVE_ACTION, thread_ts=thread)
    modal = fake_slack.wait_for("views.open")[0]["view"]
    updates = len(fake_slack.calls_to("chat.update"))
    submit(slack, modal, "first")
    fake_slack.wait_for("chat.update", count=updates + 1)
    (before,) = incidents(settings)
    submit(slack, modal, "first")  # Slack retried the same view
    submit(slack, modal, "second", view_id="V2", user="U2")  # another modal, already resolved
    services.close(wait=True)  # every listener and worker has finished: nothing more comes
    assert len(fake_slack.calls_to("chat.update")) == updates + 1
    (after,) = incidents(settings)
    assert after == before
    assert after.resolved_by == "U1"
    assert after.note == "first"


def test_a_click_that_arrives_twice_opens_one_modal(slack, fake_slack, tmp_path, services):
    summary, thread = uploaded(slack, fake_slack, tmp_path)
    click(slack, summary, render.RESOLVE_ACTION, thread_ts=thread, action_ts="1700002000.000001")
    click(slack, summary, render.RESOLVE_ACTION, thread_ts=thread, action_ts="1700002000.000001")
    fake_slack.wait_for("views.open")
    services.close(wait=True)  # every listener and worker has finished: nothing more comes
    assert len(fake_slack.calls_to("views.open")) == 1


@pytest.fixture
def only_u2(settings, services, fake_slack):
    """The app with INTUNE_BOT_RESOLVERS=U2,S1: U1 is not allowed unless in group S1."""
    services.settings = dataclasses.replace(settings, resolvers=("U2", "SGROUP1"))
    return services


@pytest.fixture
def app(settings, services, request):
    if "only_u2" in request.fixturenames:
        request.getfixturevalue("only_u2")
    return create_app(services.settings, services)


def test_a_user_not_allowed_gets_an_ephemeral_no_and_nothing_changes(only_u2, slack, fake_slack,
                                                                      tmp_path, settings, services):  # fmt: skip
    summary, thread = uploaded(slack, fake_slack, tmp_path)
    click(slack, summary, render.RESOLVE_ACTION, thread_ts=thread, user="U1")
    (no,) = fake_slack.wait_for("chat.postEphemeral")
    assert (no["user"], no["channel"]) == ("U1", "C1")
    assert "not allowed" in no["text"]
    fake_slack.wait_for("usergroups.users.list")  # SGROUP1 asked: U1 is not in it
    # Even a hand-made submission from U1 is refused.
    modal = render.resolve_modal([1], json.dumps({"ids": "1", "c": "C1", "ts": summary["ts"],
                                                  "t": thread}))  # fmt: skip
    submit(slack, modal, "sneaky", user="U1", view_id="V9")
    fake_slack.wait_for("chat.postEphemeral", count=2)
    services.close(wait=True)  # every listener and worker has finished: nothing more comes
    assert not fake_slack.calls_to("views.open")
    (incident,) = incidents(settings)
    assert incident.status == "open"


def test_a_listed_user_and_a_group_member_may_resolve(only_u2, slack, fake_slack, tmp_path, services):
    summary, thread = uploaded(slack, fake_slack, tmp_path)
    click(slack, summary, render.RESOLVE_ACTION, thread_ts=thread, user="U2")
    fake_slack.wait_for("views.open")
    fake_slack.fail_next("usergroups.users.list", body={"ok": True, "users": ["U7", "U3"]})
    click(slack, summary, render.RESOLVE_ACTION, thread_ts=thread, user="U3")
    fake_slack.wait_for("views.open", count=2)
    services.close(wait=True)  # every listener and worker has finished: nothing more comes
    assert not fake_slack.calls_to("chat.postEphemeral")


def test_hostile_notes_are_shown_as_text(slack, fake_slack, tmp_path, settings):
    summary, thread = uploaded(slack, fake_slack, tmp_path)
    click(slack, summary, render.RESOLVE_ACTION, thread_ts=thread)
    modal = fake_slack.wait_for("views.open")[0]["view"]
    updates = len(fake_slack.calls_to("chat.update"))
    submit(slack, modal, HOSTILE)
    update = fake_slack.wait_for("chat.update", count=updates + 1)[-1]
    shown = texts([update])
    for raw in ("<!channel>", "<http://evil.example|here>", "<@U999>"):
        assert raw not in shown
    assert "&lt;!channel&gt; fixed" in shown
    assert incidents(settings)[0].note == HOSTILE  # stored as typed


# --- Similar incidents ------------------------------------------------------------------


def test_similar_incidents_lists_the_same_failure_on_any_server_resolved_first(
    slack, fake_slack, tmp_path, settings
):
    first, thread1 = uploaded(slack, fake_slack, tmp_path, server="NDES02.contoso.com",
                              ts="1700000001.000001", name="a.evtx")  # fmt: skip
    click(slack, first, render.RESOLVE_ACTION, thread_ts=thread1)
    modal = fake_slack.wait_for("views.open")[0]["view"]
    submit(slack, modal, "restarted the <b>CA</b> service")
    deadline = time.monotonic() + 10
    while incidents(settings, server="NDES02")[0].status != "resolved":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    uploaded(slack, fake_slack, tmp_path, server="NDES03.contoso.com", ts="1700000002.000002",
             name="b.evtx", start=START + timedelta(days=1))  # fmt: skip
    summary, thread = uploaded(slack, fake_slack, tmp_path, ts="1700000003.000003", name="c.evtx",
                               start=START + timedelta(days=2))  # fmt: skip
    click(slack, summary, render.SIMILAR_ACTION, thread_ts=thread)
    (post,) = fake_slack.wait_for(
        "chat.postMessage", where=lambda c: "Incidents of 20502" in texts([c])
    )
    assert post["thread_ts"] == thread
    assert post["channel"] == "C1"
    shown = texts([post])
    lines = [line for line in shown.splitlines() if line.startswith("•")]
    assert len(lines) == 3
    assert "NDES02.contoso.com" in lines[0]
    assert "resolved by <@U1>" in lines[0]
    assert "“restarted the &lt;b&gt;CA&lt;/b&gt; service”" in lines[0]
    assert any("NDES03.contoso.com" in line and "open" in line for line in lines[1:])
    assert any("`NDES01.contoso.com`" in line for line in lines[1:])


# --- Show all ---------------------------------------------------------------------------


def test_show_all_expands_a_summary_that_was_cut(slack, fake_slack, tmp_path, settings, services):
    log = many_failures(tmp_path / "many.evtx", kinds=140)
    ts = "1700000500.000500"
    share(slack, fake_slack.add_file("FM", "many.evtx", log.read_bytes()), ts=ts)
    summary = summary_for(fake_slack, ts)
    summary = {**summary.body, "ts": summary["ts"]}
    assert render.SHOW_ALL_ACTION in actions_of(summary)
    assert "more" in texts([summary])
    assert len(incidents(settings, limit=500)) == 140
    assert len(actions_of(summary)[render.RESOLVE_ACTION]["value"]) <= 2000
    posts = len(fake_slack.calls_to("chat.postMessage"))
    updates = len(fake_slack.calls_to("chat.update"))
    click(slack, summary, render.SHOW_ALL_ACTION, thread_ts=ts)
    update = fake_slack.wait_for("chat.update", count=updates + 1)[-1]
    services.close(wait=True)  # every listener and worker has finished: nothing more comes
    extra = fake_slack.calls_to("chat.postMessage")[posts:]
    assert update["ts"] == summary["ts"]
    every = [update, *extra]
    assert all(len(m["blocks"]) <= 50 for m in every)
    assert all(m.get("thread_ts") == ts for m in extra)
    shown = texts(every)
    for k in range(140):
        assert f"0x{0x80000000 + k:08X}" in shown  # every failure line, none cut
    assert shown.count(":new: New:") == 140  # and every history line
    assert render.SHOW_ALL_ACTION not in actions_of(update)
    assert render.RESOLVE_ACTION in actions_of(update)


def test_show_all_on_a_summary_no_longer_kept_says_so(slack, fake_slack, tmp_path, settings):
    summary, thread = uploaded(slack, fake_slack, tmp_path)
    from bot.slack.kept import summaries_path

    summaries_path(settings).unlink()
    summary["blocks"][-1]["elements"].append(
        {"type": "button", "action_id": render.SHOW_ALL_ACTION, "value": "all"}
    )
    click(slack, summary, render.SHOW_ALL_ACTION, thread_ts=thread)
    (gone,) = fake_slack.wait_for("chat.postEphemeral")
    assert "no longer kept" in gone["text"]


# --- answers that use the history --------------------------------------------------------


def ask(slack, fake_slack, text, *, thread_ts=None, ts="1700009000.000100"):
    event = {**payload("app_mention"), "text": f"<@UBOT> {text}", "ts": ts, "event_ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    before = len(fake_slack.calls_to("chat.postMessage"))
    assert slack.event(event).status == 200
    answer = fake_slack.wait_for("chat.postMessage", count=before + 1)[-1]
    assert answer["thread_ts"] == (thread_ts or ts)
    return answer


def resolve_directly(settings, note, by="U5", at=START + timedelta(days=1)):
    with open_history(settings.db_path) as history:
        for incident in history.incidents(status="open"):
            history.resolve(incident.id, by, note, at=at)


def test_a_question_in_a_summary_thread_adds_the_history(slack, fake_slack, tmp_path, settings):
    uploaded(slack, fake_slack, tmp_path, ts="1700000001.000001", name="a.evtx")
    resolve_directly(settings, "renewed the RA cert <!here>")
    _, thread = uploaded(slack, fake_slack, tmp_path, ts="1700000002.000002", name="b.evtx",
                         start=START + timedelta(days=3))  # fmt: skip
    answer = ask(slack, fake_slack, "why does this keep failing?", thread_ts=thread)
    shown = texts([answer])
    assert "What the history knows about this thread's incidents" in shown
    assert "20502 (0x00000410) on `NDES01.contoso.com`" in shown
    assert "2 incidents in the last 30 days" in shown
    assert "last on 2026-11-23" in shown
    assert "by <@U5>: “renewed the RA cert &lt;!here&gt;”" in shown
    assert "<!here>" not in shown


def test_a_question_naming_a_server_adds_that_failures_history(slack, fake_slack, tmp_path,
                                                               settings):  # fmt: skip
    uploaded(slack, fake_slack, tmp_path, ts="1700000001.000001", name="a.evtx")
    resolve_directly(settings, "CA back up")
    uploaded(slack, fake_slack, tmp_path, ts="1700000002.000002", name="b.evtx",
             start=START + timedelta(days=2))  # fmt: skip
    answer = ask(slack, fake_slack, "why did 20502 fail on NDES01?")
    shown = texts([answer])
    assert "What the history knows on `NDES01.contoso.com`" in shown
    assert "20502 (0x00000410) on `NDES01.contoso.com`" in shown
    assert "open" in shown
    assert "2 incidents in the last 30 days" in shown
    assert "by <@U5>: “CA back up”" in shown


def test_a_question_outside_any_summary_thread_adds_nothing(slack, fake_slack, tmp_path):
    uploaded(slack, fake_slack, tmp_path)
    ts = "1700009100.000100"
    event = {**payload("app_mention"), "text": "<@UBOT> 20502", "ts": ts, "event_ts": ts,
             "thread_ts": "1600000000.000001"}  # fmt: skip
    slack.event(event)
    (answer,) = fake_slack.wait_for(
        "chat.postMessage", where=lambda c: c.get("thread_ts") == event["thread_ts"]
    )
    assert "What the history knows" not in texts([answer])


def test_show_all_of_a_huge_summary_keeps_50_blocks_a_message():
    failures = [{"event_id": "20502", "name": "x", "code": f"0x{k:08X}", "count": 1,
                 "first": "2026-11-20T08:00:00+00:00", "last": "2026-11-20T08:00:00+00:00"}
                for k in range(3000)]  # fmt: skip
    data = {"file": "big.evtx", "records": 3000, "connector_events": 3000, "failures": failures}
    view = {"new": [{"id": k, "event_id": "20502", "code": f"0x{k:08X}", "server": "S"}
                    for k in range(1, 3001)]}  # fmt: skip
    cut = render.summary(data, view)
    assert len(cut["blocks"]) <= 50
    assert render.SHOW_ALL_ACTION in actions_of(cut)
    assert len(actions_of(cut)[render.RESOLVE_ACTION]["value"]) <= 2000
    every = render.summary_full(data, view)
    assert len(every) > 1
    assert all(len(m["blocks"]) <= 50 for m in every)
    assert all(len(b["text"]["text"]) <= 3000 for m in every for b in m["blocks"] if "text" in b)
    shown = texts(every)
    assert all(f"0x{k:08X}" in shown for k in range(3000))
    assert render.RESOLVE_ACTION in actions_of(every[0])


def test_buttons_modal_and_answers_pass_slack_sdk_validation():
    from slack_sdk.models.blocks import Block
    from slack_sdk.models.views import View

    inc = {"id": 7, "event_id": "20502", "code": "0x00000410", "server": "NDES01", "count": 3,
           "first": "2026-11-20T08:00:00+00:00", "last": "2026-11-20T09:00:00+00:00",
           "status": "resolved", "resolved_by": "U1", "note": HOSTILE}  # fmt: skip
    data = {"file": "x.evtx", "records": 9, "connector_events": 9, "failures": [inc]}
    messages = [
        render.summary(data, {"new": [inc]}),
        render.summary(data, {"new": [inc]}, resolved=[{"by": "U1", "note": HOSTILE}]),
        render.similar([inc], "20502", "0x00000410"),
        {"blocks": render.known([{"incident": inc, "recent": {"incidents": 2}}], "here")},
    ]
    for msg in messages:
        for block in msg["blocks"]:
            Block.parse(block).validate_json()
    View(**render.resolve_modal([7], json.dumps({"ids": "7"}), [inc])).validate_json()


def test_a_failing_button_tells_the_person_who_clicked(slack, fake_slack, tmp_path):
    summary, thread = uploaded(slack, fake_slack, tmp_path)
    fake_slack.fail_next("views.open", body={"ok": False, "error": "expired_trigger_id"})
    click(slack, summary, render.RESOLVE_ACTION, thread_ts=thread, user="U4")
    (told,) = fake_slack.wait_for("chat.postEphemeral")
    assert told["user"] == "U4"
    assert told["channel"] == "C1"
    assert "went wrong" in told["text"]


def test_a_question_in_the_thread_of_an_ongoing_incidents_summary_finds_it(slack, fake_slack,
                                                                            tmp_path, settings):  # fmt: skip
    uploaded(slack, fake_slack, tmp_path, ts="1700000001.000001", name="a.evtx")
    _, thread = uploaded(slack, fake_slack, tmp_path, ts="1700000002.000002", name="b.evtx",
                         start=START + timedelta(hours=1))  # fmt: skip
    (incident,) = incidents(settings)
    assert incident.thread_ts == "1700000001.000001"  # ongoing: it keeps its first thread
    shown = texts([ask(slack, fake_slack, "what is this?", thread_ts=thread)])
    assert "What the history knows about this thread's incidents" in shown
    assert "20502 (0x00000410) on `NDES01.contoso.com`, 10×" in shown


def test_a_question_about_another_failure_still_gets_the_servers_history(slack, fake_slack,
                                                                          tmp_path, settings):  # fmt: skip
    uploaded(slack, fake_slack, tmp_path)
    resolve_directly(settings, "CA back up", by="U8")
    shown = texts([ask(slack, fake_slack, "why did PKCS issuance fail on NDES01")])
    assert "What the history knows on `NDES01.contoso.com`" in shown
    assert "20502 (0x00000410) on `NDES01.contoso.com`, 5×" in shown
    assert "by <@U8>: “CA back up”" in shown


def test_similar_incidents_on_hostile_servers_ping_no_one(slack, fake_slack, tmp_path):
    summary, thread = uploaded(slack, fake_slack, tmp_path, server="NDES01<!here>.contoso.com")
    click(slack, summary, render.SIMILAR_ACTION, thread_ts=thread)
    (post,) = fake_slack.wait_for("chat.postMessage", where=lambda c: "Incidents of" in texts([c]))
    shown = texts([post])
    assert "<!here>" not in shown
    assert "`NDES01&lt;!here&gt;.contoso.com`" in shown


def test_a_resolution_stands_when_its_summary_cannot_be_rewritten(slack, fake_slack, tmp_path,
                                                                  settings):  # fmt: skip
    summary, thread = uploaded(slack, fake_slack, tmp_path)
    click(slack, summary, render.RESOLVE_ACTION, thread_ts=thread)
    (opened,) = fake_slack.wait_for("views.open")
    modal = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    # Another process holds the kept summaries' write lock past the busy timeout.
    blocker = sqlite3.connect(summaries_path(settings), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        updates = len(fake_slack.calls_to("chat.update"))
        submit(slack, modal, "restarted the connector")
        (update,) = fake_slack.wait_for("chat.update", count=updates + 1, where=lambda c: True,
                                        timeout=20)[updates:]  # fmt: skip
    finally:
        blocker.rollback()
        blocker.close()
    shown = texts([update])
    assert "Resolved by <@U1> (1 incident): “restarted the connector”" in shown
    assert "crashed" not in shown.lower()
    (incident,) = incidents(settings)
    assert incident.status == "resolved"
