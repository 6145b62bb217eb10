"""Fixtures: a fake Slack, the real Bolt app served over real HTTP, and a signed-request sender.

The app is built exactly as `intune-bot run --http` builds it (settings from an
environment, `create_app`, waitress), pointed at the fake with SLACK_API_URL.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App
from slack_sdk.signature import SignatureVerifier
from waitress import wasyncore

from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.fake_api import TOKEN, FakeSlack
from bot.slack.server import make_server
from bot.slack.services import Services

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


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture
def settings(fake_slack: FakeSlack, tmp_path: Path) -> Settings:
    return Settings.from_env({
        "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake_slack.api_url,
        "INTUNE_BOT_DB": str(tmp_path / "history.db"),
    })  # fmt: skip


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    services = Services(settings=settings, db=settings.db_path)
    yield services
    services.close(wait=True)  # let a file being read finish before the fake Slack goes away


@pytest.fixture
def app(settings: Settings, services: Services) -> App:
    """The real Bolt app, as `intune-bot run` builds it, talking to the fake Slack."""
    return create_app(settings, services)


@pytest.fixture
def slack(fake_slack: FakeSlack, app: App) -> Iterator[SlackSender]:
    """The app under waitress on a free port; yields a sender of signed Slack requests."""
    server = make_server(app, "127.0.0.1", 0, secret=SECRET, asyncore_loop_timeout=0.05)  # quick close
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield SlackSender(f"http://127.0.0.1:{server.effective_port}", fake_slack)
    # Close from inside waitress's own loop: closing sockets under a running select() races.
    server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    thread.join(5)
    server.task_dispatcher.shutdown()


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
