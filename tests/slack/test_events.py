"""Questions by mention and DM over real HTTP: answered once, in thread, escaped."""

from __future__ import annotations

import pytest

from tests.support.slack import payload, texts


def posts_in(fake_slack, thread_ts):
    return [c for c in fake_slack.calls_to("chat.postMessage") if c.get("thread_ts") == thread_ts]


def test_mention_is_answered_in_its_thread(slack, fake_slack):
    event = payload("app_mention")
    assert slack.event(event).status == 200
    (post,) = fake_slack.wait_for("chat.postMessage")
    assert post["channel"] == "C1"
    assert post["thread_ts"] == event["ts"]
    assert post.auth == "Bearer xoxb-test"
    assert "PKCS" in texts([post])
    assert not [b for b in post["blocks"] if b["type"] == "actions"]  # already in the channel


def test_mention_in_a_thread_answers_in_that_thread(slack, fake_slack):
    event = {**payload("app_mention"), "thread_ts": "1700000000.000001", "text": "<@UBOT> 20502"}
    slack.event(event)
    (post,) = fake_slack.wait_for("chat.postMessage")
    assert post["thread_ts"] == "1700000000.000001"
    assert post["text"].startswith("Event 20502 ")


def test_french_dm_is_answered_in_french(slack, fake_slack):
    event = payload("message_im")
    slack.event(event)
    (post,) = fake_slack.wait_for("chat.postMessage")
    assert post["channel"] == "D1"
    assert post["thread_ts"] == event["ts"]
    shown = texts([post])
    assert any(
        word in shown
        for word in ("Cause probable", "Que faire", "Autres résultats", "Le catalogue n'a rien")
    )


def test_hostile_question_pings_no_one(slack, fake_slack):
    hostile = "<@UBOT> <!channel> <!here> <@U123> <http://evil.example|your bank> 20502"
    slack.event({**payload("app_mention"), "text": hostile})
    (post,) = fake_slack.wait_for("chat.postMessage")
    shown = texts([post])
    for raw in ("<!channel>", "<!here>", "<@U123>", "<http://evil.example|your bank>"):
        assert raw not in shown


def test_unknown_question_gets_a_clear_answer(slack, fake_slack):
    slack.event({**payload("app_mention"), "text": "<@UBOT> 31337"})
    (post,) = fake_slack.wait_for("chat.postMessage")
    assert "31337" in post["text"]
    assert "not in the catalogue" in post["text"]


def test_retry_of_the_same_event_is_processed_once(slack, fake_slack, services):
    event = payload("app_mention")
    assert slack.event(event, event_id="EvSAME").status == 200
    assert slack.event(event, event_id="EvSAME", retry=1).status == 200
    assert slack.event(event, event_id="EvSAME", retry=2).status == 200
    fake_slack.wait_for("chat.postMessage")
    services.close(wait=True)  # every listener and worker has finished: nothing more comes
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_mention_and_message_for_one_message_answer_once(slack, fake_slack, services):
    mention = payload("app_mention")
    as_dm = {
        **mention,
        "type": "message",
        "channel_type": "im",
    }  # same (channel, ts), other event_id
    slack.event(mention)
    slack.event(as_dm)
    fake_slack.wait_for("chat.postMessage")
    services.close(wait=True)  # every listener and worker has finished: nothing more comes
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_other_bots_and_own_messages_are_ignored(slack, fake_slack, services):
    assert slack.event(payload("bot_message")).status == 200
    own = {**payload("message_im"), "user": "UBOT", "bot_id": "BBOT", "ts": "1700000500.000500"}
    assert slack.event(own).status == 200
    other_dm = {**payload("message_im"), "bot_id": "BOTHER", "ts": "1700000600.000600"}
    assert slack.event(other_dm).status == 200
    services.close(wait=True)  # every listener and worker has finished: nothing more comes
    assert fake_slack.calls_to("chat.postMessage") == []


def test_plain_channel_messages_are_left_alone(slack, fake_slack, services):
    chatter = {
        **payload("message_im"),
        "channel": "C1",
        "channel_type": "channel",
        "text": "lunch?",
    }
    assert slack.event(chatter).status == 200
    edited = {"type": "message", "subtype": "message_changed", "channel": "C1", "ts": "1700000700.0007",
              "message": {"text": "x"}, "channel_type": "channel"}  # fmt: skip
    assert slack.event(edited).status == 200
    services.close(wait=True)  # every listener and worker has finished: nothing more comes
    assert fake_slack.calls_to("chat.postMessage") == []


def test_handler_crash_is_reported_in_thread_and_the_app_keeps_serving(slack, fake_slack):
    # The answer's chat.postMessage fails with an API error: the listener raises.
    fake_slack.fail_next("chat.postMessage", 200, {"ok": False, "error": "fatal_error"})
    event = payload("app_mention")
    slack.event(event)
    failed, report = fake_slack.wait_for("chat.postMessage", 2)
    assert report["thread_ts"] == event["ts"]
    assert "went wrong" in report["text"]
    # ...and the next request is served as usual.
    slack.event({**event, "ts": "1700000999.000999", "text": "<@UBOT> 20502"})
    third = fake_slack.wait_for("chat.postMessage", 3)[2]
    assert third["text"].startswith("Event 20502 ")


def test_rate_limited_post_is_retried(slack, fake_slack, services):
    fake_slack.fail_next(
        "chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
    )
    slack.event(payload("app_mention"))
    first, second = fake_slack.wait_for("chat.postMessage", 2, timeout=10)
    assert second.at - first.at >= 0.9  # Retry-After was honoured
    assert second["thread_ts"] == first["thread_ts"]
    services.close(wait=True)  # every listener and worker has finished: nothing more comes
    assert len(fake_slack.calls_to("chat.postMessage")) == 2  # retried, not reported as a crash


def test_dedupe_claims_on_disk_are_shared_and_use_the_history_opener(tmp_path):
    from bot.history import HistoryError
    from bot.slack.dedupe import Seen

    path = tmp_path / "seen.db"
    first, second = Seen(path), Seen(path)  # two HTTP workers on one disk
    try:
        assert first.claim("event", "Ev1")
        assert not second.claim("event", "Ev1")
        (mode,) = first._db.execute("PRAGMA journal_mode").fetchone()
        assert mode == "wal"
    finally:
        first.close()
        second.close()
    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    with pytest.raises(HistoryError) as refused:  # the opener's one line, not sqlite3's
        Seen(folder)
    assert str(refused.value) == f"history database {folder} is a folder, not a file"
