"""Test support for the Slack tests: signed requests as Slack sends them, payload files,
what a list of posts showed, and waiting for an upload's summary."""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier
from waitress import wasyncore

from bot.slack.fake_api import FakeSlack
from bot.slack.render import CHECKING_HISTORY
from bot.slack.server import make_server
from tests.support.connector_logs import legacy_pkcs_ca_outage

SECRET = "s3cret-signing"
PAYLOADS = Path(__file__).parent.parent / "payloads"


def payload(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


@dataclass
class Reply:
    status: int
    body: str
    seconds: float


class SlackSender:
    """Sends what Slack sends: signed form posts for commands and clicks, JSON for events."""

    def __init__(self, url: str, fake: FakeSlack, secret: str = SECRET) -> None:
        self.url, self.fake = url, fake
        self.verifier = SignatureVerifier(secret)
        self._ids = iter(range(1, 10**9))

    def post(
        self, body: str, ctype: str, headers: dict[str, str] | None = None, sign: bool = True
    ) -> Reply:
        ts = str(int(time.time()))
        head = {"Content-Type": ctype, "X-Slack-Request-Timestamp": ts}
        head["X-Slack-Signature"] = (
            self.verifier.generate_signature(timestamp=ts, body=body) if sign else "v0=" + "0" * 64
        )
        head.update(headers or {})
        request = urllib.request.Request(
            self.url + "/slack/events", data=body.encode(), headers=head
        )
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return Reply(resp.status, resp.read().decode(), time.perf_counter() - start)
        except urllib.error.HTTPError as err:
            return Reply(err.code, err.read().decode(), time.perf_counter() - start)

    def command(self, text: str, channel: str = "C1", **kw: Any) -> tuple[Reply, str]:
        """`/intune TEXT`; returns the HTTP reply and the response_url path to wait for."""
        n = next(self._ids)
        response_path = f"/response/cmd{n}"
        form = {"token": "legacy", "team_id": "T1", "team_domain": "example", "channel_id": channel,
                "channel_name": "helpdesk", "user_id": "U1", "user_name": "ana", "command": "/intune",
                "text": text, "api_app_id": "A1", "response_url": self.fake.url + response_path,
                "trigger_id": f"trig{n}", **kw}  # fmt: skip
        return self.post(urlencode(form), "application/x-www-form-urlencoded"), response_path

    def event(
        self, event: dict, event_id: str | None = None, retry: int | None = None, **kw: Any
    ) -> Reply:
        body = {"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                "event_id": event_id or f"Ev{next(self._ids):08d}", "event_time": int(time.time()),
                "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}], "event": event}  # fmt: skip
        headers = (
            {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            if retry
            else {}
        )
        return self.post(json.dumps(body), "application/json", headers, **kw)

    def click(self, action: dict, response_path: str, channel: str = "C1") -> Reply:
        body = {"type": "block_actions", "team": {"id": "T1", "domain": "example"},
                "user": {"id": "U1", "team_id": "T1"}, "api_app_id": "A1", "token": "legacy",
                "container": {"type": "message", "is_ephemeral": True, "channel_id": channel},
                "trigger_id": "trig", "channel": {"id": channel, "name": "helpdesk"},
                "response_url": self.fake.url + response_path, "actions": [action]}  # fmt: skip
        return self.post(
            urlencode({"payload": json.dumps(body)}), "application/x-www-form-urlencoded"
        )


def texts(calls: list) -> str:
    """Everything a list of posts showed: fallback text and every block's text."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text"):
                out.append(node.get("text", ""))
            for key, value in node.items():
                if key != "value":  # a button's value is data Slack never shows or parses
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for call in calls:
        out.append(call.get("text") or "")
        walk(call.get("blocks") or [])
    return "\n".join(out)


def still_working(update) -> bool:
    """A "reading…" update, or the summary still waiting for its history section."""
    return "Reading" in update["text"] or CHECKING_HISTORY in texts([update])


def share(slack, file, ts="1700000300.000300", **fields):
    """A file_share message with `file`; `fields` replace the payload's (e.g. text)."""
    event = {**payload("message_file_share"), "files": [file], "ts": ts, "event_ts": ts, **fields}
    assert slack.event(event).status == 200
    return event


def summary_for(fake_slack, thread_ts, timeout=20.0):
    """The summary: the last update of the message the bot posted in thread `thread_ts`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for post in fake_slack.calls_to("chat.postMessage"):
            if post.get("thread_ts") == thread_ts and post.reply.get("ts"):
                ts = post.reply["ts"]
                done = [u for u in fake_slack.calls_to("chat.update") if u["ts"] == ts]
                if done and not still_working(done[-1]):
                    return done[-1]
        time.sleep(0.05)
    raise AssertionError([(c.method, c.get("text")) for c in fake_slack.calls])


TS = "1700000300.000300"  # the ts `share` gives a shared file by default


def outage(fake_slack, tmp_path, name="NDES01-outage.evtx"):
    path = tmp_path / "outage.evtx"
    legacy_pkcs_ca_outage(path)  # ~30 hours, failures during a CA outage
    return path, fake_slack.add_file("F1", name, path.read_bytes())


@contextmanager
def serving(app, fake_slack: FakeSlack, **options) -> Iterator[SlackSender]:
    """The app under waitress on a free port (make_server's `options`), as a signed sender."""
    server = make_server(app, "127.0.0.1", 0, secret=SECRET, asyncore_loop_timeout=0.05,
                         **options)  # fmt: skip  # a short loop timeout: quick close
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield SlackSender(f"http://127.0.0.1:{server.effective_port}", fake_slack)
    finally:
        # Close from inside waitress's own loop: closing sockets under a running select() races.
        # EBADF: the trigger is already closed, so the loop has already ended.
        with contextlib.suppress(OSError):
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(5)
        server.task_dispatcher.shutdown()


def home_opened(slack, fake_slack, user="U1", tab="home"):
    """Open the App Home tab as `user`; the views.publish call and the view it published."""
    before = len(fake_slack.calls_to("views.publish"))
    event = {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": tab,
             "event_ts": "1700000000.000100"}  # fmt: skip
    assert slack.event(event).status == 200
    (call,) = fake_slack.wait_for("views.publish", count=before + 1)[before:]
    view = call["view"] if isinstance(call["view"], dict) else json.loads(call["view"])
    return call, view


_clicks = itertools.count(1)


def actions_of(msg) -> dict:
    """{action_id: button} of a message's actions block."""
    found = {}
    for block in msg["blocks"]:
        if block["type"] == "actions":
            found.update({e["action_id"]: e for e in block["elements"]})
    return found


def post_form(slack, body: dict):
    return slack.post(urlencode({"payload": json.dumps(body)}), "application/x-www-form-urlencoded")


def click(slack, summary, action_id, *, user="U1", thread_ts, action_ts=None, trigger=None,
          value=None):  # fmt: skip
    """A signed block_actions payload: a button pressed on a message the bot posted.

    `value` picks one of several elements with that action ID (buttons, a menu's option).
    """
    button = actions_of(summary)[action_id]
    n = next(_clicks)
    body = {"type": "block_actions", "team": {"id": "T1", "domain": "example"},
            "user": {"id": user, "team_id": "T1"}, "api_app_id": "A1", "token": "legacy",
            "container": {"type": "message", "message_ts": summary["ts"], "channel_id": "C1",
                          "is_ephemeral": False, "thread_ts": thread_ts},
            "trigger_id": trigger or f"trig{n}", "channel": {"id": "C1", "name": "helpdesk"},
            "message": {"type": "message", "ts": summary["ts"], "thread_ts": thread_ts,
                        "text": summary["text"], "blocks": summary["blocks"]},
            "response_url": slack.fake.url + f"/response/act{n}",
            "actions": [{"type": "button", "action_id": action_id, "block_id": "intune_summary",
                         "value": value or button.get("value"),
                         "action_ts": action_ts or f"1700001000.{n:06d}"}]}  # fmt: skip
    reply = post_form(slack, body)
    assert reply.status == 200
    return reply
