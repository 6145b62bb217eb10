"""The workspace the page draws: typed text encoded as Slack's client does, calls applied as Slack would."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.playground.workspace import CHANNEL, Response, encode_typed
from bot.slack.fake_api import TOKEN


def test_typed_text_is_encoded_like_slacks_client() -> None:
    assert encode_typed("<!channel> & <b>") == "&lt;!channel&gt; &amp; &lt;b&gt;"
    assert encode_typed("@intune-triage why? @here #helpdesk") == (
        "<@UBOT> why? <!here> <#C0HELPDESK|helpdesk>"
    )
    assert encode_typed("ana@intune-triage.example") == "ana@intune-triage.example"  # not a mention


def test_response_url_posts_reply_replace_and_delete(playground) -> None:
    ws = playground.workspace
    ws.responses["/response/x"] = Response(CHANNEL["id"])
    hook = WebhookClient(playground.fake.url + "/response/x")  # what Bolt's respond() uses
    assert hook.send(text="private", response_type="ephemeral").status_code == 200
    [msg] = ws.snapshot()["messages"]
    assert (msg["text"], msg["ephemeral"]) == ("private", True)
    hook.send(text="edited", replace_original=True)
    [msg] = ws.snapshot()["messages"]
    assert msg["text"] == "edited"
    assert msg["rev"] == 1
    hook.send_dict({"delete_original": True})
    assert ws.snapshot()["messages"] == []


def test_a_refused_call_changes_nothing(playground) -> None:
    client = WebClient(token=TOKEN, base_url=playground.fake.api_url)
    playground.fake.fail_next("chat.postMessage", body={"ok": False, "error": "channel_not_found"})
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.chat_postMessage(channel=CHANNEL["id"], text="lost")
    assert playground.workspace.snapshot()["messages"] == []
    client.chat_postMessage(channel=CHANNEL["id"], text="kept")
    assert [m["text"] for m in playground.workspace.snapshot()["messages"]] == ["kept"]
