"""Socket Mode deliveries: no signature, retries carried as headers (bolt >= 1.29)."""

from __future__ import annotations

import time

from slack_bolt import BoltRequest
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_sdk.socket_mode.request import SocketModeRequest

from tests.support.slack import payload


def envelope(event: dict, event_id: str) -> dict:
    return {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": event_id,
            "event_time": int(time.time()), "event": event}  # fmt: skip


def test_socket_mode_retry_is_processed_once(app, fake_slack, services):
    body = envelope(payload("app_mention"), "EvSOCK")
    assert app.dispatch(BoltRequest(body=body, mode="socket_mode")).status == 200
    delivery = SocketModeRequest(type="events_api", envelope_id="e2", payload=body,
                                 retry_attempt=1, retry_reason="timeout")  # fmt: skip
    retry = build_headers(delivery)
    assert retry == {"x-slack-retry-num": "1", "x-slack-retry-reason": "timeout"}
    assert app.dispatch(BoltRequest(body=body, mode="socket_mode", headers=retry)).status == 200
    (post,) = fake_slack.wait_for("chat.postMessage")
    assert post["thread_ts"] == payload("app_mention")["ts"]
    services.close(wait=True)  # every listener and worker has finished: nothing more comes
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_socket_mode_slash_command_answers_through_response_url(app, fake_slack):
    body = {"command": "/intune", "text": "20502", "team_id": "T1", "channel_id": "C1", "user_id": "U1",
            "response_url": fake_slack.url + "/response/sock", "trigger_id": "t"}  # fmt: skip
    assert app.dispatch(BoltRequest(body=body, mode="socket_mode")).status == 200
    (answer,) = fake_slack.wait_for("response")
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Event 20502 ")
