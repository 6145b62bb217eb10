"""`/intune` over real HTTP: signed slash commands in, response_url posts out."""

from __future__ import annotations

import json

from tests.support.slack import texts


def test_bad_signature_is_refused_with_401(slack, fake_slack):
    reply = slack.post(
        "command=/intune&text=20502", "application/x-www-form-urlencoded", sign=False
    )
    assert reply.status == 401
    assert fake_slack.calls_to("response") == []


def test_health_answers_ok(slack):
    import urllib.request

    with urllib.request.urlopen(slack.url + "/health", timeout=5) as resp:
        assert resp.status == 200
        assert json.loads(resp.read())["ok"] is True


def test_intune_20502_acks_at_once_then_answers_ephemeral_with_share_button(slack, fake_slack):
    reply, path = slack.command("20502")
    assert reply.status == 200
    assert reply.seconds < 1.0  # Slack gives up at 3 s
    (answer,) = fake_slack.wait_for("response", where=lambda c: c.path == path)
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Event 20502 ")
    first = answer["blocks"][0]["text"]["text"]
    assert first.startswith("*Event 20502 ")
    buttons = [b for b in answer["blocks"] if b["type"] == "actions"]
    assert buttons[0]["elements"][0]["action_id"] == "intune_share"
    assert json.loads(buttons[0]["elements"][0]["value"])["q"] == "20502"


def test_share_button_reposts_in_channel_and_drops_the_private_copy(slack, fake_slack):
    _, path = slack.command("20502")
    (answer,) = fake_slack.wait_for("response", where=lambda c: c.path == path)
    button = next(b for b in answer["blocks"] if b["type"] == "actions")["elements"][0]
    reply = slack.click({"action_id": button["action_id"], "block_id": "b", "value": button["value"],
                         "type": "button", "action_ts": "1"}, "/response/click1")  # fmt: skip
    assert reply.status == 200
    shared, deleted = fake_slack.wait_for(
        "response", 2, where=lambda c: c.path == "/response/click1"
    )
    assert shared["response_type"] == "in_channel"
    assert shared["text"].startswith("Event 20502 ")
    assert not [
        b for b in shared["blocks"] if b["type"] == "actions"
    ]  # no button in the shared copy
    assert deleted["delete_original"] is True


def test_unknown_id_says_unknown_and_offers_nearest(slack, fake_slack):
    _, path = slack.command("20599")
    (answer,) = fake_slack.wait_for("response", where=lambda c: c.path == path)
    assert "20599" in answer["text"]
    assert "not in the catalogue" in answer["text"]
    assert "Nearest entries" in texts([answer])


def test_help_lists_the_verbs(slack, fake_slack):
    _, path = slack.command("help")
    (answer,) = fake_slack.wait_for("response", where=lambda c: c.path == path)
    shown = texts([answer])
    for verb in ("/intune 20502", "history", "servers", "threads"):
        assert verb in shown


def test_empty_command_is_help(slack, fake_slack):
    _, path = slack.command("")
    (answer,) = fake_slack.wait_for("response", where=lambda c: c.path == path)
    assert "usage" in answer["text"]


def test_hostile_question_is_escaped(slack, fake_slack):
    hostile = "<!channel> <!here> <@U123> <http://evil.example|click> why did it fail"
    _, path = slack.command(hostile)
    (answer,) = fake_slack.wait_for("response", where=lambda c: c.path == path)
    shown = texts([answer])
    for raw in ("<!channel>", "<!here>", "<@U123>", "<http://evil.example|click>"):
        assert raw not in shown


def test_several_ids_in_one_command_answer_each_with_one_share_button(slack, fake_slack):
    _, path = slack.command("20502 0x410")
    (answer,) = fake_slack.wait_for("response", where=lambda c: c.path == path)
    heads = [b["text"]["text"] for b in answer["blocks"] if b["type"] == "section"]
    assert any(h.startswith("*Event 20502 ") for h in heads)
    assert any(h.startswith("*Diagnostic code 0x00000410 ") for h in heads)
    (buttons,) = [b for b in answer["blocks"] if b["type"] == "actions"]
    assert json.loads(buttons["elements"][0]["value"])["q"] == "20502 0x410"


def test_history_before_any_upload_says_so_and_creates_nothing(slack, fake_slack, settings):
    assert not settings.db_path.exists()
    _, path = slack.command("history NDES01")
    (answer,) = fake_slack.wait_for("response", where=lambda c: c.path == path)
    assert answer["text"].startswith("No history yet: share a connector log")
    assert not settings.db_path.exists()


def test_a_decimal_hresult_answers_its_code_and_shows_every_spelling(slack, fake_slack):
    # What IIS logs as the win32 status finds the HRESULT, and the answer says how else it is written.
    _, path = slack.command("2148204809")
    (answer,) = fake_slack.wait_for("response", where=lambda c: c.path == path)
    assert answer["text"].startswith("HRESULT 0x800B0109 CERT_E_UNTRUSTEDROOT")
    head = answer["blocks"][0]["text"]["text"]
    assert "Also written: `2148204809` · `-2146762487`" in head
