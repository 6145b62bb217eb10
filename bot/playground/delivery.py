"""What the person does on the page, delivered to the app as Slack delivers it.

Each action becomes the payload Slack would send over Socket Mode (`/intune`
as a slash command with a response_url, a message as `message` and, when it
mentions the bot, `app_mention`, a dropped file as a `file_share` message whose
file the fake serves at `url_private_download`, a click as `block_actions`, a
modal's submit as `view_submission`, the Home tab as `app_home_opened`) and is
dispatched into the real Bolt app, which acks and answers through the fake
Web API like in a workspace.

Only the events manifest.yml subscribes to are sent (`SUBSCRIBED`; a test
keeps the two in step): Slack sends nothing else, so neither do we.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from pathlib import Path
from typing import Any

from slack_bolt import App, BoltRequest

from bot.playground.workspace import (
    BOT,
    CHANNEL,
    ME,
    SLACKBOT,
    Message,
    Response,
    Workspace,
    encode_typed,
)
from bot.slack.fake_api import FakeSlack

# manifest.yml's settings.event_subscriptions.bot_events
SUBSCRIBED = ("app_home_opened", "app_mention", "message.channels", "message.groups", "message.im")
COMMANDS = ("/intune",)  # manifest.yml's slash commands
TEAM = {"id": "T1", "domain": "example"}


class Delivery:
    def __init__(self, app: App, fake: FakeSlack, workspace: Workspace) -> None:
        self.app, self.fake, self.workspace = app, fake, workspace
        self._ids = itertools.count(1)

    # --- what the person does -------------------------------------------------------------

    def send(self, channel: str, typed: str, thread_ts: str | None = None) -> None:
        """The composer's Enter: a slash command, or a message (maybe mentioning the bot)."""
        typed = typed.strip()
        if not typed:
            return
        if typed.startswith("/") and not typed.startswith("//"):
            return self.command(channel, typed, thread_ts)
        msg = self.workspace.post(Message(channel, self.fake.next_ts(), ME["id"],
                                          encode_typed(typed), thread_ts=thread_ts))  # fmt: skip
        self._message_events(msg, _event_of(msg))

    def command(self, channel: str, typed: str, thread_ts: str | None) -> None:
        name, _, text = typed.partition(" ")
        if name not in COMMANDS:
            return self._slackbot(channel, thread_ts, f"`{name}` is not a valid command. In Slack, "
                                  "all messages that start with the \"/\" character are interpreted "
                                  "as commands.")  # fmt: skip
        if thread_ts:  # Slack refuses this in threads; the README says to mention the bot there
            return self._slackbot(
                channel, thread_ts, f"`{name}` is not supported in threads. Sorry!"
            )
        n = next(self._ids)
        path = f"/response/playground-cmd{n}"
        self.workspace.responses[path] = Response(channel)
        form = {"token": "playground", "team_id": TEAM["id"], "team_domain": TEAM["domain"],
                "channel_id": channel, "channel_name": self._channel_name(channel),
                "user_id": ME["id"], "user_name": ME["name"], "command": name,
                "text": text.strip(), "api_app_id": "A0PLAYGRND", "is_enterprise_install": "false",
                "response_url": self.fake.url + path, "trigger_id": f"trig-{n}"}  # fmt: skip
        response = self._dispatch(form)
        self._ack_reply(response, channel, None)

    def upload(self, channel: str, name: str, path: Path, size: int, text: str = "",
               thread_ts: str | None = None) -> str:  # fmt: skip
        """A file dropped or picked: stored in the fake Slack, shared in a message; its ts."""
        file_id = f"F0PLAY{next(self._ids):05d}"
        file = self.fake.add_file(file_id, name, path)
        file.update(user=ME["id"], created=int(time.time()))
        self.workspace.files[file_id] = {"name": name, "path": path, "size": size,
                                         "mimetype": file["mimetype"]}  # fmt: skip
        shown = self.workspace.file_object(file_id)
        msg = Message(channel, self.fake.next_ts(), ME["id"], encode_typed(text), files=[shown],
                      thread_ts=thread_ts)  # fmt: skip
        self.workspace.post(msg)
        event = {**_event_of(msg), "subtype": "file_share", "files": [file], "upload": True,
                 "display_as_bot": False}  # fmt: skip
        self._message_events(msg, event)
        return msg.ts

    def click(self, channel: str, ts: str, action: dict[str, Any]) -> None:
        """A button in a message: block_actions, with a response_url acting on that message."""
        msg = self.workspace.message(channel, ts)
        if msg is None:
            return
        n = next(self._ids)
        path = f"/response/playground-act{n}"
        self.workspace.responses[path] = Response(channel, msg.thread_ts, ts, msg.ephemeral)
        container = {"type": "message", "message_ts": ts, "channel_id": channel,
                     "is_ephemeral": msg.ephemeral}  # fmt: skip
        if msg.thread_ts:
            container["thread_ts"] = msg.thread_ts
        message = {"type": "message", "ts": ts, "user": msg.user, "text": msg.text,
                   "blocks": msg.blocks, **({"thread_ts": msg.thread_ts} if msg.thread_ts else {})}  # fmt: skip
        now = f"{time.time():.6f}"
        body = {"type": "block_actions", "team": TEAM, "user": _user(), "api_app_id": "A0PLAYGRND",
                "token": "playground", "container": container, "trigger_id": f"trig-{n}",
                "channel": {"id": channel, "name": self._channel_name(channel)},
                "response_url": self.fake.url + path,
                "actions": [{**action, "action_ts": now}]}  # fmt: skip
        if not msg.ephemeral:  # Slack leaves the message out for ephemeral ones
            body["message"] = message
        self._dispatch(body)

    def submit(self, view_id: str, values: dict[str, dict[str, str]]) -> dict[str, str]:
        """The modal's submit button; returns the errors the app asked to show (none: it closes)."""
        view = self.workspace.modal
        if not view or view.get("id") != view_id:
            return {}
        state = {block: {action: {"type": "plain_text_input", "value": value}
                         for action, value in inputs.items()} for block, inputs in values.items()}  # fmt: skip
        body = {"type": "view_submission", "team": TEAM, "user": _user(), "api_app_id": "A0PLAYGRND",
                "token": "playground", "trigger_id": f"trig-{next(self._ids)}",
                "view": {**view, "state": {"values": state}, "hash": f"{time.time():.6f}"}}  # fmt: skip
        response = self._dispatch(body)
        answer = _json(response.body)
        if answer.get("response_action") == "errors":
            return dict(answer.get("errors") or {})
        self.workspace.close_modal(view_id)
        return {}

    def open_home(self) -> None:
        """The app's Home tab was opened: app_home_opened, answered with views.publish."""
        self._event({"type": "app_home_opened", "user": ME["id"], "channel": "D0INTUNE01",
                     "tab": "home", "event_ts": f"{time.time():.6f}"})  # fmt: skip

    # --- how Slack delivers it ------------------------------------------------------------

    def _message_events(self, msg: Message, event: dict[str, Any]) -> None:
        # Slack sends both for a mention in a channel (the app claims (channel, ts) once).
        if event["channel_type"] != "im" and f"<@{BOT['id']}>" in msg.text:
            self._event({**event, "type": "app_mention"})
        if f"message.{_kind(event['channel_type'])}" in SUBSCRIBED:
            self._event(event)

    def _event(self, event: dict[str, Any]) -> None:
        if event["type"] != "message" and event["type"] not in SUBSCRIBED:
            return
        body = {"token": "playground", "team_id": TEAM["id"], "api_app_id": "A0PLAYGRND",
                "type": "event_callback", "event_id": f"Ev0PLAY{next(self._ids):08d}",
                "event_time": int(time.time()), "event": event,
                "authorizations": [{"team_id": TEAM["id"], "user_id": BOT["id"], "is_bot": True}]}  # fmt: skip
        self._dispatch(body)

    def _dispatch(self, body: dict[str, Any]) -> Any:
        # Socket Mode's path into Bolt: no signature (the socket is the proof), ack in the reply.
        return self.app.dispatch(BoltRequest(body=body, mode="socket_mode"))

    def _ack_reply(self, response: Any, channel: str, thread_ts: str | None) -> None:
        """A command acked with text (`ack("Looking up…")`): Slack shows it to the person."""
        answer = _json(response.body)
        if answer.get("text") or answer.get("blocks"):
            in_channel = answer.get("response_type") == "in_channel"
            self.workspace.post(Message(channel, self.fake.next_ts(), BOT["id"], answer.get("text") or "",
                                        answer.get("blocks") or [], thread_ts=thread_ts,
                                        ephemeral=not in_channel))  # fmt: skip
        elif response.status != 200:
            self._slackbot(
                channel,
                thread_ts,
                f'`/intune` failed with the error "dispatch_failed" (HTTP {response.status}).',
            )

    def _slackbot(self, channel: str, thread_ts: str | None, text: str) -> None:
        self.workspace.post(Message(channel, self.fake.next_ts(), SLACKBOT["id"], text,
                                    thread_ts=thread_ts, ephemeral=True))  # fmt: skip

    def _channel_name(self, channel: str) -> str:
        return CHANNEL["name"] if channel == CHANNEL["id"] else "directmessage"


def _event_of(msg: Message) -> dict[str, Any]:
    event = {"type": "message", "channel": msg.channel, "user": msg.user, "text": msg.text,
             "ts": msg.ts, "event_ts": msg.ts, "team": TEAM["id"],
             "channel_type": "im" if msg.channel.startswith("D") else "channel"}  # fmt: skip
    if msg.thread_ts:
        event["thread_ts"] = msg.thread_ts
    return event


def _kind(channel_type: str) -> str:
    return {"channel": "channels", "group": "groups", "im": "im", "mpim": "mpim"}[channel_type]


def _user() -> dict[str, str]:
    return {"id": ME["id"], "username": ME["name"], "name": ME["name"], "team_id": TEAM["id"]}


def _json(body: Any) -> dict[str, Any]:
    if isinstance(body, dict):
        return body
    try:
        found = json.loads(body or "{}")
    except ValueError:
        return {"text": body} if isinstance(body, str) and not re.fullmatch(r"\s*", body) else {}
    return found if isinstance(found, dict) else {}
